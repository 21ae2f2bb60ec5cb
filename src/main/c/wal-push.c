/*
 * pgwarden wal-push, native client: archive_command = 'pgwarden wal-push %p'.
 *
 * PostgreSQL runs archive_command once per WAL segment, one at a time, so the start-up cost of the
 * command bounds the archiving rate. This program does what org.pgwarden.walclient.WalPushClient
 * does on its fast path, in about a millisecond instead of a JVM start: read wal.socket and
 * wal.client-timeout from the configuration, send "PUSH <absolute path>" to the daemon over its
 * Unix socket and exit with the code of its one-line answer ("OK ..." or "ERR <code> <message>").
 *
 * Everything else goes to the JVM client, which knows every case: no daemon listening (it pushes
 * directly), a configuration this small reader is unsure of, an invocation of another shape. The
 * hand-over execs the launcher named by PGWARDEN_LAUNCHER with the same arguments and
 * PGWARDEN_WAL_CLIENT=jvm, so the launcher does not come back here.
 *
 * The configuration rules are those of ClientSettings.java; both must change together, and
 * WalPushNativeIT runs the same cases against this program.
 *
 * Exit codes are pgwarden's: 0 only after the daemon answered OK, the daemon's code for ERR,
 * 1 for a connection closed without an answer or a garbled answer, 3 for a lost connection or
 * no answer within wal.client-timeout, 2 when the hand-over itself is impossible.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* WalProtocol.MAX_LINE: the longest line either side accepts, newline excluded. */
#define MAX_LINE 8192
/* A configuration file larger than this is not one the small reader should guess at. */
#define MAX_CONFIG (1024 * 1024)
/* wal.socket when the configuration names none; a package may build with its own. */
#ifndef PGWARDEN_DEFAULT_SOCKET
#define PGWARDEN_DEFAULT_SOCKET "/run/pgwarden/wal.sock"
#endif
#define DEFAULT_TIMEOUT_MS 60000LL

static char **all_args; /* argv, for the hand-over */

/* Hands the call to the JVM client with the same arguments; returns only if that is impossible. */
static int hand_over(void) {
    const char *launcher = getenv("PGWARDEN_LAUNCHER");
    if (launcher == NULL || launcher[0] != '/') {
        fprintf(stderr, "pgwarden: error: the native wal-push client must be started by bin/pgwarden"
                        " (PGWARDEN_LAUNCHER names it)\n");
        return 2;
    }
    if (setenv("PGWARDEN_WAL_CLIENT", "jvm", 1) != 0) {
        fprintf(stderr, "pgwarden: error: unable to set PGWARDEN_WAL_CLIENT: %s\n", strerror(errno));
        return 2;
    }
    all_args[0] = (char *) launcher;
    execv(launcher, all_args);
    fprintf(stderr, "pgwarden: error: unable to start the JVM client '%s': %s\n", launcher, strerror(errno));
    return 2;
}

/* ---- configuration: the two settings, with ClientSettings' rules */

struct settings {
    char socket[sizeof(((struct sockaddr_un *) 0)->sun_path)];
    long long timeout_ms;
};
_Static_assert(sizeof PGWARDEN_DEFAULT_SOCKET <= sizeof(((struct sockaddr_un *) 0)->sun_path),
               "PGWARDEN_DEFAULT_SOCKET is longer than a Unix socket address holds");

/* The length of the valid UTF-8 sequence at s (at most n bytes), or 0 when it is not valid. */
static size_t utf8_length(const unsigned char *s, size_t n, uint32_t *cp) {
    size_t len;
    uint32_t min;
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    } else if ((s[0] & 0xE0) == 0xC0) {
        len = 2, min = 0x80, *cp = s[0] & 0x1F;
    } else if ((s[0] & 0xF0) == 0xE0) {
        len = 3, min = 0x800, *cp = s[0] & 0x0F;
    } else if ((s[0] & 0xF8) == 0xF0) {
        len = 4, min = 0x10000, *cp = s[0] & 0x07;
    } else {
        return 0;
    }
    if (len > n) {
        return 0;
    }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
        *cp = (*cp << 6) | (s[i] & 0x3F);
    }
    if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF)) {
        return 0;
    }
    return len;
}

/*
 * True when the line has only space as white space and no control characters or byte-order mark:
 * then "white space" means the same to this reader, to ClientSettings and to YAML.
 */
static int plain_text(const char *line, size_t n) {
    const unsigned char *s = (const unsigned char *) line;
    for (size_t i = 0; i < n;) {
        uint32_t c;
        size_t len = utf8_length(s + i, n - i, &c);
        if (len == 0 || c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0xFEFF || c == 0x1680
                || (c >= 0x2000 && c <= 0x200A && c != 0x2007) || c == 0x2028 || c == 0x2029 || c == 0x205F
                || c == 0x3000) {
            return 0;
        }
        i += len;
    }
    return 1;
}

static int starts_with(const char *s, size_t n, const char *prefix) {
    size_t p = strlen(prefix);
    return n >= p && memcmp(s, prefix, p) == 0;
}

static int equals(const char *s, size_t n, const char *word) {
    return n == strlen(word) && memcmp(s, word, n) == 0;
}

static int key_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* The plain scalar of a value (same rules as ClientSettings.plainScalar); 0 when it is fancier. */
static int plain_scalar(const char *v, size_t n, const char **out, size_t *out_n) {
    if (n == 0) {
        return 0;
    }
    if (n >= 2 && (v[0] == '\'' || v[0] == '"') && v[n - 1] == v[0]) {
        const char *inner = memchr(v + 1, v[0], n - 1);
        if (inner != v + n - 1 || (v[0] == '"' && memchr(v, '\\', n) != NULL)) {
            return 0;
        }
        *out = v + 1, *out_n = n - 2;
        return 1;
    }
    if (strchr("&*!|>{[\"'@`%", v[0]) != NULL) {
        return 0;
    }
    for (size_t i = 0; i + 1 < n; i++) {
        if (v[i] == ':' && v[i + 1] == ' ') {
            return 0;
        }
    }
    *out = v, *out_n = n;
    return 1;
}

/* The forms 500ms, 30s, 2m, 1h (1 to 9 digits, not zero); -1 for anything else. */
static long long duration_ms(const char *v, size_t n) {
    size_t digits = 0;
    long long number = 0;
    while (digits < n && v[digits] >= '0' && v[digits] <= '9') {
        number = number * 10 + (v[digits] - '0');
        digits++;
    }
    if (digits == 0 || digits > 9 || number == 0) {
        return -1;
    }
    const char *unit = v + digits;
    size_t unit_n = n - digits;
    if (equals(unit, unit_n, "ms")) {
        return number;
    } else if (equals(unit, unit_n, "s")) {
        return number * 1000;
    } else if (equals(unit, unit_n, "m")) {
        return number * 60 * 1000;
    } else if (equals(unit, unit_n, "h")) {
        return number * 3600 * 1000;
    }
    return -1;
}

/* Stores an absolute socket path, with repeated and trailing slashes removed as Path.of does. */
static int set_socket(struct settings *s, const char *v, size_t n) {
    size_t out = 0;
    if (n == 0 || v[0] != '/' || memchr(v, '\0', n) != NULL) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (v[i] == '/' && out > 0 && s->socket[out - 1] == '/') {
            continue;
        }
        if (out + 1 >= sizeof s->socket) {
            return 0; /* longer than a Unix socket address holds */
        }
        s->socket[out++] = v[i];
    }
    if (out > 1 && s->socket[out - 1] == '/') {
        out--;
    }
    s->socket[out] = '\0';
    return 1;
}

/*
 * One line of the file (without its terminator). Returns 1 to go on, 0 when unsure. The state
 * is that of ClientSettings.parse.
 */
struct reader {
    int in_wal, seen_wal, child_indent;
};

static int read_line(struct reader *r, struct settings *s, const char *raw, size_t n) {
    if (!plain_text(raw, n) || starts_with(raw, n, "%") || (starts_with(raw, n, "---") && r->seen_wal)) {
        return 0;
    }
    size_t indent = 0;
    while (indent < n && raw[indent] == ' ') {
        indent++;
    }
    if (indent < n && raw[indent] == '#') {
        return 1; /* a comment line */
    }
    for (size_t i = 0; i + 1 < n; i++) { /* a trailing comment */
        if (raw[i] == ' ' && raw[i + 1] == '#') {
            n = i;
            break;
        }
    }
    while (n > 0 && raw[n - 1] == ' ') {
        n--;
    }
    if (n <= indent || equals(raw, n, "---")) {
        return 1; /* blank, or the start of the (first) document */
    }
    const char *text = raw + indent;
    size_t text_n = n - indent;
    if (indent == 0) {
        r->in_wal = 0;
        if (starts_with(text, text_n, "\"wal\"") || starts_with(text, text_n, "'wal'")
                || (starts_with(text, text_n, "wal") && (text_n == 3 || !key_char(text[3])))) {
            if (r->seen_wal || !equals(text, text_n, "wal:")) {
                return 0; /* a repeated key, an inline or flow value, or a spelling we do not guess at */
            }
            r->in_wal = r->seen_wal = 1;
            r->child_indent = -1;
        }
        return 1;
    }
    if (!r->in_wal) {
        return 1;
    }
    if (r->child_indent < 0) {
        r->child_indent = (int) indent;
    }
    if ((int) indent != r->child_indent) {
        return 0; /* nested values under wal: are not ours to guess */
    }
    size_t key_n = 0;
    while (key_n < text_n && key_char(text[key_n])) {
        key_n++;
    }
    if (key_n == 0 || key_n >= text_n || text[key_n] != ':' || (key_n + 1 < text_n && text[key_n + 1] != ' ')) {
        return 0; /* a quoted or unusual key, or no "key: value" */
    }
    const char *value = text + key_n + 1;
    size_t value_n = text_n - key_n - 1;
    while (value_n > 0 && value[0] == ' ') {
        value++, value_n--;
    }
    const char *plain;
    size_t plain_n;
    if (!plain_scalar(value, value_n, &plain, &plain_n)) {
        return 0;
    }
    if (equals(text, key_n, "socket")) {
        return set_socket(s, plain, plain_n);
    }
    if (equals(text, key_n, "client-timeout")) {
        s->timeout_ms = duration_ms(plain, plain_n);
        return s->timeout_ms > 0;
    }
    return 1; /* other wal settings concern the daemon only */
}

/* Reads the two settings from file; 0 when the file cannot be read or the reader is unsure. */
static int read_settings(const char *file, struct settings *s) {
    static char buf[MAX_CONFIG + 1];
    size_t len = 0;
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return 0;
    }
    for (;;) {
        ssize_t got = read(fd, buf + len, sizeof buf - len);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got < 0) {
            close(fd);
            return 0;
        }
        if (got == 0) {
            break;
        }
        len += (size_t) got;
        if (len == sizeof buf) {
            close(fd);
            return 0; /* too large to be a configuration we should guess at */
        }
    }
    close(fd);
    strcpy(s->socket, PGWARDEN_DEFAULT_SOCKET);
    s->timeout_ms = DEFAULT_TIMEOUT_MS;
    struct reader r = {0, 0, -1};
    /* Lines end in \n, \r\n or \r, as for Java's readAllLines. */
    for (size_t start = 0; start < len;) {
        size_t end = start;
        while (end < len && buf[end] != '\n' && buf[end] != '\r') {
            end++;
        }
        if (!read_line(&r, s, buf + start, end - start)) {
            return 0;
        }
        if (end + 1 < len && buf[end] == '\r' && buf[end + 1] == '\n') {
            end++;
        }
        start = end + 1;
    }
    return 1;
}

/* ---- the WAL path: absolute and normalised like Path.toAbsolutePath().normalize() */

static int absolute_path(const char *arg, char *out, size_t size) {
    char joined[2 * MAX_LINE];
    size_t n = 0;
    if (arg[0] != '/') {
        if (getcwd(joined, sizeof joined - 1) == NULL) {
            return 0;
        }
        n = strlen(joined);
        joined[n++] = '/';
    }
    size_t arg_n = strlen(arg);
    if (n + arg_n + 1 > sizeof joined) {
        return 0;
    }
    memcpy(joined + n, arg, arg_n + 1);
    /* Lexically: "." and empty names dropped, ".." removes the name before it (none above "/"). */
    size_t out_n = 0;
    char *save = NULL;
    for (char *name = strtok_r(joined, "/", &save); name != NULL; name = strtok_r(NULL, "/", &save)) {
        if (strcmp(name, ".") == 0) {
            continue;
        }
        if (strcmp(name, "..") == 0) {
            while (out_n > 0 && out[out_n - 1] != '/') {
                out_n--;
            }
            if (out_n > 0) {
                out_n--;
            }
            continue;
        }
        size_t len = strlen(name);
        if (out_n + 1 + len + 1 > size) {
            return 0;
        }
        out[out_n++] = '/';
        memcpy(out + out_n, name, len);
        out_n += len;
    }
    if (out_n == 0) {
        out[out_n++] = '/';
    }
    out[out_n] = '\0';
    return 1;
}

/* ---- the exchange with the daemon */

static long long now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long) t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Prints one error line on stderr (PostgreSQL's log), prefixed as the JVM client does, and returns code. */
static int fail(int code, const char *format, ...) __attribute__((format(printf, 2, 3)));

static int fail(int code, const char *format, ...) {
    va_list args;
    va_start(args, format);
    fputs("pgwarden: error: ", stderr);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
    return code;
}

/* Exit code for an answer line (WalProtocol.parseAnswer); prints the error on stderr. */
static int answer_code(char *line) {
    if (strcmp(line, "OK") == 0 || strncmp(line, "OK ", 3) == 0) {
        return 0;
    }
    for (char *c = line; *c; c++) {
        if (*c == '\r') {
            *c = ' ';
        }
    }
    if (strncmp(line, "ERR ", 4) == 0) {
        char *p = line + 4;
        char *space = strchr(p, ' ');
        if (space != NULL && space > p) {
            long code = 0;
            char *d = p + (*p == '+');
            int ok = d < space;
            for (; ok && d < space; d++) {
                ok = *d >= '0' && *d <= '9' && code <= 255;
                code = code * 10 + (*d - '0');
            }
            if (ok && code > 0 && code <= 255) {
                return fail((int) code, "%s", space + 1);
            }
        }
    }
    return fail(1, "unexpected answer from the daemon: '%s'", line);
}

static int push(const struct settings *s, const char *path) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return fail(3, "unable to open a Unix socket: %s", strerror(errno));
    }
    /* Bounds connect (a full backlog) and send; the answer is bounded by poll below. */
    struct timeval tv = {(time_t) (s->timeout_ms / 1000), (suseconds_t) (s->timeout_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    strcpy(addr.sun_path, s->socket);
    long long deadline = now_ms() + s->timeout_ms;
    int rc;
    while ((rc = connect(fd, (struct sockaddr *) &addr, sizeof addr)) != 0 && errno == EINTR) {
    }
    if (rc != 0 && errno == EISCONN) {
        rc = 0; /* an interrupted connect that completed meanwhile */
    }
    if (rc != 0) {
        int e = errno;
        close(fd);
        if (e == EAGAIN || e == EWOULDBLOCK || e == ETIMEDOUT) {
            return fail(3, "the daemon at '%s' did not accept the connection within %lldms"
                           " (wal.client-timeout); PostgreSQL will retry", s->socket, s->timeout_ms);
        }
        /* No socket file, or nobody listening on it (a daemon that is gone): push directly. */
        return hand_over();
    }
    char request[MAX_LINE + 8];
    int request_n = snprintf(request, sizeof request, "PUSH %s\n", path);
    for (int sent = 0; sent < request_n;) {
        ssize_t n = send(fd, request + sent, (size_t) (request_n - sent), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            int e = errno;
            close(fd);
            return fail(3, "lost the connection to the daemon at '%s': %s", s->socket, strerror(e));
        }
        sent += (int) n;
    }
    char line[MAX_LINE + 1];
    size_t len = 0;
    for (;;) {
        long long left = deadline - now_ms();
        if (left <= 0) {
            close(fd);
            return fail(3, "no answer from the daemon at '%s' within %lldms (wal.client-timeout); PostgreSQL will retry",
                    s->socket, s->timeout_ms);
        }
        struct pollfd p = {fd, POLLIN, 0};
        int ready = poll(&p, 1, left > 60000 ? 60000 : (int) left);
        if (ready < 0 && errno != EINTR) {
            int e = errno;
            close(fd);
            return fail(3, "lost the connection to the daemon at '%s': %s", s->socket, strerror(e));
        }
        if (ready <= 0) {
            continue;
        }
        ssize_t n = read(fd, line + len, sizeof line - len);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
            continue;
        }
        if (n < 0) {
            int e = errno;
            close(fd);
            return fail(3, "lost the connection to the daemon at '%s': %s", s->socket, strerror(e));
        }
        if (n == 0) {
            close(fd);
            return fail(1, "the daemon closed the connection without answering");
        }
        char *newline = memchr(line + len, '\n', (size_t) n);
        len += (size_t) n;
        if (newline != NULL) {
            *newline = '\0';
            close(fd);
            return answer_code(line);
        }
        if (len == sizeof line) {
            close(fd);
            return fail(3, "lost the connection to the daemon at '%s': answer longer than %d bytes", s->socket,
                    MAX_LINE);
        }
    }
}

int main(int argc, char **argv) {
    all_args = argv;
    const char *forced = getenv("PGWARDEN_WAL_CLIENT");
    if (forced != NULL && strcmp(forced, "jvm") == 0) {
        /* Only a hand-over sets this; coming back here would loop. */
        fprintf(stderr, "pgwarden: error: the native wal-push client was started with PGWARDEN_WAL_CLIENT=jvm\n");
        return 2;
    }
    /* [--config FILE | --config=FILE] wal-push PATH, as WalPushClient.Invocation. */
    const char *config = NULL;
    int i = 1;
    if (argc > 2 && strcmp(argv[1], "--config") == 0) {
        config = argv[2];
        i = 3;
    } else if (argc > 1 && strncmp(argv[1], "--config=", 9) == 0) {
        config = argv[1] + 9;
        i = 2;
    }
    if (argc != i + 2 || strcmp(argv[i], "wal-push") != 0 || argv[i + 1][0] == '-') {
        return hand_over();
    }
    if (config == NULL) {
        config = getenv("PGWARDEN_CONFIG");
    }
    struct settings settings;
    char path[MAX_LINE];
    const char *wal = argv[i + 1];
    /* A line break in the path, or a path that is not UTF-8, is for the JVM client to refuse. */
    if (config == NULL || config[0] == '\0' || !read_settings(config, &settings) || wal[0] == '\0'
            || strpbrk(wal, "\r\n") != NULL || !plain_text(wal, strlen(wal))
            || !absolute_path(wal, path, sizeof path - sizeof "PUSH \n")) {
        return hand_over();
    }
    return push(&settings, path);
}
