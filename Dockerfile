# syntax=docker/dockerfile:1
#
# pgwarden container image.
#
#   docker build -t pgwarden .
#   docker run -v /path/to/config-dir:/etc/pgwarden:ro pgwarden
#
# The configuration directory is mounted at /etc/pgwarden (pgwarden.yaml, and the repository key
# file if a local key is used). The image keeps the layout of a built checkout, /opt/pgwarden/bin
# and /opt/pgwarden/target, so the launcher finds the jar exactly as it does in a clone.

########## build ##########
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml ./
COPY src ./src
# A C compiler for the native wal-push client (target/pgwarden-wal-push, linked statically so it
# runs on the runtime image whatever its C library); the build fails rather than ship without it.
RUN set -eux; \
    if ! command -v cc >/dev/null; then \
        apt-get update; \
        apt-get install -y --no-install-recommends gcc libc6-dev; \
        rm -rf /var/lib/apt/lists/*; \
    fi
# The Maven cache survives between builds (BuildKit), so only changed dependencies download.
RUN --mount=type=cache,target=/root/.m2 mvn -B -DskipTests package -Dpgwarden.native.required=true

########## runtime ##########
# eclipse-temurin images are Ubuntu based. The distribution's own PostgreSQL packages cover
# one major only, so the server and client binaries of PG_MAJOR come from the PostgreSQL
# project's apt repository (apt.postgresql.org), which carries every supported major.
# pgwarden starts its own clusters (drills), so the packaged "main" cluster is not created.
FROM eclipse-temurin:17-jre
ARG PG_MAJOR=15

RUN set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends ca-certificates curl; \
    install -d /usr/share/postgresql-common/pgdg; \
    curl -fsSL -o /usr/share/postgresql-common/pgdg/apt.postgresql.org.asc \
        https://www.postgresql.org/media/keys/ACCC4CF8.asc; \
    . /etc/os-release; \
    echo "deb [signed-by=/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc] https://apt.postgresql.org/pub/repos/apt ${VERSION_CODENAME}-pgdg main" \
        > /etc/apt/sources.list.d/pgdg.list; \
    install -d /etc/postgresql-common/createcluster.d; \
    echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.d/pgwarden.conf; \
    apt-get update; \
    apt-get install -y --no-install-recommends \
        "postgresql-client-${PG_MAJOR}" "postgresql-${PG_MAJOR}"; \
    rm -rf /var/lib/apt/lists/*

ENV PATH="/usr/lib/postgresql/${PG_MAJOR}/bin:${PATH}" \
    PGWARDEN_CONFIG=/etc/pgwarden/pgwarden.yaml

RUN set -eux; \
    useradd --system --uid 10001 --user-group --home-dir /var/lib/pgwarden --shell /usr/sbin/nologin pgwarden; \
    install -d -o pgwarden -g pgwarden -m 0700 /var/lib/pgwarden; \
    install -d -m 0755 /etc/pgwarden /opt/pgwarden/bin /opt/pgwarden/target

COPY --from=build /src/target/pgwarden.jar /opt/pgwarden/target/pgwarden.jar
COPY --from=build /src/target/lib/ /opt/pgwarden/target/lib/
COPY --from=build /src/target/pgwarden-wal-push /opt/pgwarden/target/pgwarden-wal-push
COPY bin/pgwarden /opt/pgwarden/bin/pgwarden
COPY bin/jit-short-lived.json /opt/pgwarden/bin/jit-short-lived.json
COPY config/ /opt/pgwarden/config/

USER pgwarden
WORKDIR /var/lib/pgwarden

# The admin listener (/metrics, /health/live, /health/ready). It binds 127.0.0.1 by default,
# which is enough for the health check below; to scrape from outside the container, configure
# admin.listen accordingly.
EXPOSE 9816

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD curl -fsS http://127.0.0.1:9816/health/live || exit 1

ENTRYPOINT ["/opt/pgwarden/bin/pgwarden"]
CMD ["--config", "/etc/pgwarden/pgwarden.yaml", "daemon"]
