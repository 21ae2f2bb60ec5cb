package org.pgwarden.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * A KMS stand-in speaking the service's JSON 1.1 protocol on the JDK HTTP server, so the real
 * {@link KmsClient} can be tested without AWS. Master keys live in memory; wrapping is real
 * AES-GCM, and ciphertext blobs name their key as real KMS blobs do (so {@code Decrypt} knows the
 * key and refuses a blob of another key). Knobs answer AccessDenied for a key, throttle the next N
 * calls, or disable a key; counters tell how often each operation was called.
 */
public final class KmsTestEndpoint implements AutoCloseable {
    public static final String REGION = "us-east-1";
    private static final String ACCOUNT = "111122223333";
    private static final ObjectMapper JSON = new ObjectMapper();

    static {
        // Without it every call waits ~40 ms on Nagle's algorithm.
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    private final HttpServer server;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, byte[]> keys = new ConcurrentHashMap<>();
    private final Map<String, String> aliases = new ConcurrentHashMap<>();
    private final Set<String> denied = ConcurrentHashMap.newKeySet();
    private final Set<String> disabled = ConcurrentHashMap.newKeySet();
    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    private final AtomicInteger throttleNext = new AtomicInteger();

    private KmsTestEndpoint() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    public static KmsTestEndpoint start() {
        try {
            return new KmsTestEndpoint();
        } catch (IOException e) {
            throw new IllegalStateException("unable to start the KMS test endpoint", e);
        }
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** A real SDK client pointed here, with dummy credentials and SDK retries off. */
    public KmsClient client() {
        return KmsClient.builder()
                .endpointOverride(endpoint())
                .region(Region.of(REGION))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")))
                .overrideConfiguration(ClientOverrideConfiguration.builder()
                        .retryStrategy(AwsRetryStrategy.doNotRetry()).build())
                .build();
    }

    // ---- knobs ----

    /** Creates a key and returns its id (a UUID, as KMS does). */
    public String createKey() {
        String id = UUID.randomUUID().toString();
        byte[] k = new byte[32];
        random.nextBytes(k);
        keys.put(id, k);
        return id;
    }

    public void createAlias(String alias, String keyId) {
        aliases.put(alias.startsWith("alias/") ? alias : "alias/" + alias, keyId);
    }

    /** Answers AccessDeniedException for every call that uses {@code keyId}. */
    public void denyAccess(String keyId) {
        denied.add(resolve(keyId));
    }

    public void disable(String keyId) {
        disabled.add(resolve(keyId));
    }

    /** Schedules deletion in the KMS sense: the key is gone (NotFound) for every later call. */
    public void deleteKey(String keyId) {
        keys.remove(resolve(keyId));
    }

    /** Answers ThrottlingException to the next {@code times} calls, whatever they are. */
    public void throttleNext(int times) {
        throttleNext.set(times);
    }

    /** Number of calls of {@code operation} (e.g. {@code "Decrypt"}), including refused ones. */
    public int calls(String operation) {
        AtomicInteger n = calls.get(operation);
        return n == null ? 0 : n.get();
    }

    public void resetCounters() {
        calls.clear();
    }

    public static String arn(String keyId) {
        return "arn:aws:kms:" + REGION + ":" + ACCOUNT + ":key/" + keyId;
    }

    // ---- protocol ----

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String target = ex.getRequestHeaders().getFirst("X-Amz-Target");
            String op = target == null ? "" : target.substring(target.indexOf('.') + 1);
            calls.computeIfAbsent(op, k -> new AtomicInteger()).incrementAndGet();
            JsonNode req = JSON.readTree(ex.getRequestBody().readAllBytes());
            if (throttleNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                reply(ex, 400, error("ThrottlingException", "Rate exceeded"));
                return;
            }
            try {
                reply(ex, 200, switch (op) {
                    case "GenerateDataKey" -> generateDataKey(req);
                    case "Encrypt" -> encrypt(req);
                    case "Decrypt" -> decrypt(req);
                    case "ReEncrypt" -> reEncrypt(req);
                    case "DescribeKey" -> describeKey(req);
                    default -> throw new Refusal("UnsupportedOperationException", "operation " + op);
                });
            } catch (Refusal r) {
                reply(ex, 400, error(r.type, r.getMessage()));
            }
        }
    }

    private ObjectNode generateDataKey(JsonNode req) {
        String id = usableKey(req.path("KeyId").asText());
        int n = req.has("NumberOfBytes") ? req.get("NumberOfBytes").asInt()
                : "AES_128".equals(req.path("KeySpec").asText()) ? 16 : 32;
        byte[] clear = new byte[n];
        random.nextBytes(clear);
        ObjectNode r = JSON.createObjectNode();
        r.put("KeyId", arn(id));
        r.put("Plaintext", b64(clear));
        r.put("CiphertextBlob", b64(seal(id, clear)));
        return r;
    }

    private ObjectNode encrypt(JsonNode req) {
        String id = usableKey(req.path("KeyId").asText());
        ObjectNode r = JSON.createObjectNode();
        r.put("KeyId", arn(id));
        r.put("CiphertextBlob", b64(seal(id, unb64(req.path("Plaintext").asText()))));
        r.put("EncryptionAlgorithm", "SYMMETRIC_DEFAULT");
        return r;
    }

    private ObjectNode decrypt(JsonNode req) {
        byte[] blob = unb64(req.path("CiphertextBlob").asText());
        String blobKey = blobKeyId(blob);
        if (req.hasNonNull("KeyId") && !resolve(req.get("KeyId").asText()).equals(blobKey)) {
            usableKey(req.get("KeyId").asText());
            throw new Refusal("IncorrectKeyException", "The key ID in the request does not identify a CMK that can "
                    + "perform this operation.");
        }
        String id = usableKey(blobKey);
        ObjectNode r = JSON.createObjectNode();
        r.put("KeyId", arn(id));
        r.put("Plaintext", b64(open(id, blob)));
        r.put("EncryptionAlgorithm", "SYMMETRIC_DEFAULT");
        return r;
    }

    private ObjectNode reEncrypt(JsonNode req) {
        byte[] blob = unb64(req.path("CiphertextBlob").asText());
        String source = blobKeyId(blob);
        if (req.hasNonNull("SourceKeyId") && !resolve(req.get("SourceKeyId").asText()).equals(source)) {
            throw new Refusal("IncorrectKeyException", "source key does not match the ciphertext");
        }
        usableKey(source);
        String dest = usableKey(req.path("DestinationKeyId").asText());
        ObjectNode r = JSON.createObjectNode();
        r.put("SourceKeyId", arn(source));
        r.put("KeyId", arn(dest));
        r.put("CiphertextBlob", b64(seal(dest, open(source, blob))));
        return r;
    }

    private ObjectNode describeKey(JsonNode req) {
        String id = usableKey(req.path("KeyId").asText());
        ObjectNode r = JSON.createObjectNode();
        ObjectNode m = r.putObject("KeyMetadata");
        m.put("KeyId", id);
        m.put("Arn", arn(id));
        m.put("Enabled", true);
        m.put("KeyState", "Enabled");
        m.put("KeySpec", "SYMMETRIC_DEFAULT");
        m.put("KeyUsage", "ENCRYPT_DECRYPT");
        return r;
    }

    private String resolve(String ref) {
        if (ref.startsWith("alias/")) {
            return aliases.getOrDefault(ref, ref);
        }
        return ref.startsWith("arn:") ? ref.substring(ref.lastIndexOf('/') + 1) : ref;
    }

    private String usableKey(String ref) {
        String id = resolve(ref);
        if (denied.contains(id)) {
            throw new Refusal("AccessDeniedException", "User: arn:aws:iam::" + ACCOUNT + ":user/test is not authorized "
                    + "to perform this operation on " + arn(id));
        }
        if (!keys.containsKey(id)) {
            throw new Refusal("NotFoundException", "Key '" + arn(id) + "' does not exist");
        }
        if (disabled.contains(id)) {
            throw new Refusal("DisabledException", arn(id) + " is disabled.");
        }
        return id;
    }

    /** Blob: key id length (1) | key id | nonce (12) | AES-GCM ciphertext and tag, key id as AAD. */
    private byte[] seal(String keyId, byte[] clear) {
        byte[] id = keyId.getBytes(StandardCharsets.UTF_8);
        byte[] nonce = new byte[12];
        random.nextBytes(nonce);
        try {
            byte[] ct = cipher(Cipher.ENCRYPT_MODE, keyId, nonce).doFinal(clear);
            return ByteBuffer.allocate(1 + id.length + 12 + ct.length).put((byte) id.length).put(id).put(nonce).put(ct)
                    .array();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private byte[] open(String keyId, byte[] blob) {
        int idLen = blob[0] & 0xff;
        try {
            return cipher(Cipher.DECRYPT_MODE, keyId, java.util.Arrays.copyOfRange(blob, 1 + idLen, 13 + idLen))
                    .doFinal(blob, 13 + idLen, blob.length - 13 - idLen);
        } catch (GeneralSecurityException e) {
            throw new Refusal("InvalidCiphertextException", "");
        }
    }

    private String blobKeyId(byte[] blob) {
        if (blob.length < 1 || blob.length < 1 + (blob[0] & 0xff) + 12 + 16) {
            throw new Refusal("InvalidCiphertextException", "");
        }
        return new String(blob, 1, blob[0] & 0xff, StandardCharsets.UTF_8);
    }

    private Cipher cipher(int mode, String keyId, byte[] nonce) throws GeneralSecurityException {
        byte[] key = keys.get(keyId);
        if (key == null) {
            throw new Refusal("NotFoundException", "Key '" + arn(keyId) + "' does not exist");
        }
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
        c.updateAAD(keyId.getBytes(StandardCharsets.UTF_8));
        return c;
    }

    private static ObjectNode error(String type, String message) {
        ObjectNode e = JSON.createObjectNode();
        e.put("__type", type);
        e.put("message", message);
        return e;
    }

    private static void reply(HttpExchange ex, int status, ObjectNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/x-amz-json-1.1");
        if (status != 200) {
            ex.getResponseHeaders().set("x-amzn-ErrorType", body.path("__type").asText());
        }
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static String b64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }

    private static byte[] unb64(String s) {
        return Base64.getDecoder().decode(s);
    }

    @Override
    public void close() {
        server.stop(0);
    }

    /** A KMS error answered to the client. */
    private static final class Refusal extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final String type;

        Refusal(String type, String message) {
            super(message);
            this.type = type;
        }
    }
}
