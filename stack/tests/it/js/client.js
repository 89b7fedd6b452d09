// sigstore-js (the pinned `sigstore` in tools/js) against a sigbox stack: signs with the library
// exactly as a user would configure it, verifies through the stack's TUF repository.
//
// usage:
//   node client.js sign   URL TOKEN FILE BUNDLE_OUT
//   node client.js attest URL TOKEN STATEMENT_FILE BUNDLE_OUT
//   node client.js sign-config SIGNING_CONFIG_JSON TOKEN FILE BUNDLE_OUT [attest]
//     (services from a signing config, through @sigstore/sign's bundleBuilderFromSigningConfig:
//     the only sigstore-js API that can sign to Rekor v2; `sigstore.sign` always uses v1)
//   node client.js verify URL TUF_ROOT_JSON TUF_CACHE_DIR BUNDLE FILE IDENTITY ISSUER
//   node client.js verify-with-root TRUSTED_ROOT_JSON BUNDLE FILE IDENTITY ISSUER
//     (a trusted root given as a file, through @sigstore/verify, as sigstore-js's own
//     `verify` builds its verifier once it has fetched the trusted root)
// Exits 0 on success; otherwise prints the error and exits 1.
'use strict';

const fs = require('fs');
const path = require('path');
const jsDir = process.env.SIGBOX_JS_DIR || path.join(__dirname, '..', '..', '..', '..', 'tools', 'js');
const sigstore = require(path.join(jsDir, 'node_modules', 'sigstore'));

async function main() {
  const [cmd, url, ...rest] = process.argv.slice(2);
  if (cmd === 'sign' || cmd === 'attest') {
    const [token, file, out] = rest;
    const opts = {
      fulcioURL: url,
      rekorURL: url,
      tsaServerURL: `${url}/api/v1/timestamp`,
      identityToken: token,
    };
    const data = fs.readFileSync(file);
    const bundle = cmd === 'sign'
      ? await sigstore.sign(data, opts)
      : await sigstore.attest(data, 'application/vnd.in-toto+json', opts);
    fs.writeFileSync(out, JSON.stringify(bundle));
    console.log(`signed ${bundle.mediaType}`);
  } else if (cmd === 'sign-config') {
    const [token, file, out, mode] = rest;
    const req = (m) => require(path.join(jsDir, 'node_modules', m));
    const { SigningConfig } = req('@sigstore/protobuf-specs');
    const { bundleBuilderFromSigningConfig } = req('@sigstore/sign');
    const { bundleToJSON } = req('@sigstore/bundle');
    const signingConfig = SigningConfig.fromJSON(JSON.parse(fs.readFileSync(url)));
    const attest = mode === 'attest';
    const builder = bundleBuilderFromSigningConfig({
      signingConfig,
      identityProvider: { getToken: () => Promise.resolve(token) },
      bundleType: attest ? 'dsseEnvelope' : 'messageSignature',
    });
    const data = fs.readFileSync(file);
    const bundle = attest
      ? await builder.create({ data, type: 'application/vnd.in-toto+json' })
      : await builder.create({ data });
    fs.writeFileSync(out, JSON.stringify(bundleToJSON(bundle)));
    console.log(`signed ${bundle.mediaType}`);
  } else if (cmd === 'verify') {
    const [root, cache, bundleFile, file, identity, issuer] = rest;
    const bundle = JSON.parse(fs.readFileSync(bundleFile));
    const opts = {
      tufMirrorURL: `${url}/tuf`,
      tufRootPath: root,
      tufCachePath: cache,
      certificateIssuer: issuer,
    };
    if (identity.includes('@')) {
      opts.certificateIdentityEmail = identity;
    } else {
      opts.certificateIdentityURI = identity;
    }
    // A DSSE bundle carries its payload; a message signature needs the artifact.
    const isDsse = !!bundle.dsseEnvelope;
    if (isDsse) {
      await sigstore.verify(bundle, opts);
    } else {
      await sigstore.verify(bundle, fs.readFileSync(file), opts);
    }
    console.log('verified');
  } else if (cmd === 'verify-with-root') {
    const [bundleFile, file, identity, issuer] = rest;
    const req = (m) => require(path.join(jsDir, 'node_modules', m));
    const { TrustedRoot } = req('@sigstore/protobuf-specs');
    const { bundleFromJSON } = req('@sigstore/bundle');
    const v = req('@sigstore/verify');
    const root = TrustedRoot.fromJSON(JSON.parse(fs.readFileSync(url)));
    const bundle = bundleFromJSON(JSON.parse(fs.readFileSync(bundleFile)));
    const data = bundle.dsseEnvelope ? undefined : fs.readFileSync(file);
    const verifier = new v.Verifier(v.toTrustMaterial(root));
    verifier.verify(v.toSignedEntity(bundle, data), {
      subjectAlternativeName: identity,
      extensions: { issuer },
    });
    console.log('verified');
  } else {
    throw new Error(`unknown command ${cmd}`);
  }
}

main().catch((e) => {
  // The causes too: a TUF refusal's reason (rollback, expiry) is in the error's cause.
  let line = `refused: ${e.code || ''} ${e.message}`;
  for (let c = e.cause; c; c = c.cause) {
    line += `: ${c.code ? c.code + ' ' : ''}${c.message || c}`;
  }
  console.log(line);
  process.exit(1);
});
