package sigbox;

import dev.sigstore.KeylessVerifier;
import dev.sigstore.TrustedRootProvider;
import dev.sigstore.VerificationOptions;
import dev.sigstore.VerificationOptions.CertificateMatcher;
import dev.sigstore.bundle.Bundle;
import dev.sigstore.strings.StringMatcher;
import dev.sigstore.tuf.RootProvider;
import dev.sigstore.tuf.SigstoreTufClient;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;

/**
 * The sigstore-conformance {@code verify-bundle} command over sigstore-java's KeylessVerifier:
 *
 * <pre>
 * verify-bundle --bundle F --certificate-identity I --certificate-oidc-issuer U
 *     (--trusted-root F | --tuf-url URL --tuf-root ROOT --tuf-cache DIR) FILE_OR_sha256:HEX
 * </pre>
 *
 * Exits 0 when the bundle verifies, 1 when sigstore-java refuses it, 2 on a usage error.
 */
public final class VerifyBundle {
  private static final Set<String> FLAGS =
      Set.of(
          "--bundle",
          "--certificate-identity",
          "--certificate-oidc-issuer",
          "--trusted-root",
          "--tuf-url",
          "--tuf-root",
          "--tuf-cache");

  public static void main(String[] args) {
    Map<String, String> flags = new HashMap<>();
    String artifact = null;
    if (args.length == 0 || !args[0].equals("verify-bundle")) {
      usage("the only command is verify-bundle");
    }
    for (int i = 1; i < args.length; i++) {
      if (FLAGS.contains(args[i]) && i + 1 < args.length) {
        flags.put(args[i], args[++i]);
      } else if (args[i].startsWith("--") || artifact != null) {
        usage("unexpected argument " + args[i]);
      } else {
        artifact = args[i];
      }
    }
    for (var required :
        new String[] {"--bundle", "--certificate-identity", "--certificate-oidc-issuer"}) {
      if (!flags.containsKey(required)) {
        usage("missing " + required);
      }
    }
    if (artifact == null) {
      usage("missing FILE_OR_DIGEST");
    }
    boolean tuf = flags.containsKey("--tuf-url");
    if (tuf == flags.containsKey("--trusted-root")
        || (tuf && !(flags.containsKey("--tuf-root") && flags.containsKey("--tuf-cache")))) {
      usage("give --trusted-root, or --tuf-url with --tuf-root and --tuf-cache");
    }
    try {
      TrustedRootProvider trust;
      if (tuf) {
        // Cache validity zero: every run refreshes from the mirror, as a fresh client would.
        trust =
            TrustedRootProvider.from(
                SigstoreTufClient.builder()
                    .tufMirror(
                        URI.create(flags.get("--tuf-url")),
                        RootProvider.fromFile(Path.of(flags.get("--tuf-root"))))
                    .tufCacheLocation(Path.of(flags.get("--tuf-cache")))
                    .cacheValidity(Duration.ZERO));
      } else {
        trust = TrustedRootProvider.from(Path.of(flags.get("--trusted-root")));
      }
      var verifier = KeylessVerifier.builder().trustedRootProvider(trust).build();
      var bundle = Bundle.from(Path.of(flags.get("--bundle")), StandardCharsets.UTF_8);
      CertificateMatcher identity =
          VerificationOptions.CertificateMatcher.fulcio()
              .subjectAlternativeName(StringMatcher.string(flags.get("--certificate-identity")))
              .issuer(StringMatcher.string(flags.get("--certificate-oidc-issuer")))
              .build();
      var options = VerificationOptions.builder().addCertificateMatchers(identity).build();
      verifier.verify(digest(artifact), bundle, options);
      System.out.println("OK");
    } catch (Exception e) {
      // The whole cause chain: the outermost message often hides which check failed.
      for (Throwable t = e; t != null; t = t.getCause()) {
        System.err.println((t == e ? "error: " : "caused by: ") + t);
      }
      System.exit(1);
    }
  }

  /** The SHA-256 of FILE, or HEX of {@code sha256:HEX} when no such file exists. */
  private static byte[] digest(String artifact) throws Exception {
    var path = Path.of(artifact);
    if (!Files.exists(path) && artifact.startsWith("sha256:")) {
      return HexFormat.of().parseHex(artifact.substring("sha256:".length()));
    }
    return MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(path));
  }

  private static void usage(String why) {
    System.err.println("usage: " + why);
    System.exit(2);
  }

  private VerifyBundle() {}
}
