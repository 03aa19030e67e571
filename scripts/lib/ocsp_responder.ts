/**
 * An OCSP responder written in Deno, for tests, benchmarks and the demo:
 * builds signed OCSP responses from a plain description (including broken
 * ones on purpose) and serves them on 127.0.0.1.
 *
 * Not shipped in the binary.
 *
 * @module
 */
import "reflect-metadata";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import { AlgorithmIdentifier, Certificate, CRLReason, Extension, Name } from "@peculiar/asn1-x509";
import { ECDSASigValue } from "@peculiar/asn1-ecc";
import { id_RSASSA_PSS, id_sha256, RsaSaPssParams } from "@peculiar/asn1-rsa";
import {
  BasicOCSPResponse,
  CertStatus,
  id_pkix_ocsp_basic,
  id_pkix_ocsp_nonce,
  OCSPRequest,
  OCSPResponse,
  OCSPResponseStatus,
  ResponderID,
  ResponseBytes,
  ResponseData,
  RevokedInfo,
  SingleResponse,
} from "@peculiar/asn1-ocsp";
import { KeyHash } from "@peculiar/asn1-ocsp";
import { type CertId, fromAsnCertId, toAsnCertId } from "../../src/ocsp/cert_id.ts";
import { decodeBase64 } from "../../src/certs/pem.ts";
import { rewriteGeneralizedTimes } from "../../src/ocsp/_generalized_time.ts";
import { toHex } from "../../src/certs/parsed_cert.ts";
import type { Issued } from "./pki.ts";
import * as x509 from "@peculiar/x509";

/** The status of one certificate in a response. */
export interface SingleSpec {
  /** Which certificate. */
  certId: CertId;
  /** @default "good" */
  status?: "good" | "revoked" | "unknown";
  /** For revoked. @default one day ago */
  revokedAt?: Date;
  /** CRLReason number for revoked. */
  reason?: number;
  /** @default now - 1 h */
  thisUpdate?: Date;
  /** `null` leaves it out. @default now + 3 days */
  nextUpdate?: Date | null;
  /** Extensions of this SingleResponse. */
  extensions?: Extension[];
  /**
   * The CertID hash AlgorithmIdentifier's parameters: `"absent"` leaves them
   * out, bytes are put as they are. @default NULL
   */
  hashParameters?: "absent" | Uint8Array;
}

/** Everything a built response can contain, right or wrong. */
export interface ResponseSpec {
  /** The SingleResponses (usually one). */
  singles: SingleSpec[];
  /** Who signs. */
  signer: Issued;
  /** Sign with this key instead of the signer's (a forged signature). */
  signingKey?: Issued;
  /** ResponderID form. @default "key" */
  responderId?: "name" | "key";
  /** A ResponderID byName with this DN text instead of the signer's subject. */
  responderName?: string;
  /** Certificates to include. @default none */
  certs?: Issued[];
  /** @default now */
  producedAt?: Date;
  /** Response extensions. */
  extensions?: Extension[];
  /** Echo this nonce. */
  nonce?: Uint8Array;
  /** Flip a bit of the signature. */
  corruptSignature?: boolean;
  /** ResponseData version (0 = v1). */
  version?: number;
  /** responseType OID. @default id-pkix-ocsp-basic */
  responseType?: string;
  /** Claim this signature algorithm OID instead of the one used. */
  signatureOid?: string;
  /** Put these raw bytes as the signature algorithm's parameters; `null` leaves them out. */
  signatureParameters?: Uint8Array | null;
  /**
   * Rewrite the GeneralizedTime texts of the signed data (producedAt,
   * thisUpdate, ...) before signing, e.g. to `20261201120000.1234Z`; return
   * undefined to keep one.
   */
  rewriteTimes?: (text: string) => string | undefined;
  /** Replace the DER signature value (after signing) with what this returns. */
  mangleSignature?: (sig: Uint8Array) => Uint8Array;
}

const ECDSA_OIDS: Record<string, string> = {
  "SHA-256": "1.2.840.10045.4.3.2",
  "SHA-384": "1.2.840.10045.4.3.3",
  "SHA-512": "1.2.840.10045.4.3.4",
};
const RSA_OIDS: Record<string, string> = {
  "SHA-1": "1.2.840.113549.1.1.5",
  "SHA-256": "1.2.840.113549.1.1.11",
  "SHA-384": "1.2.840.113549.1.1.12",
  "SHA-512": "1.2.840.113549.1.1.13",
};

function hashOf(key: CryptoKey): string {
  const alg = key.algorithm as RsaHashedKeyAlgorithm;
  return alg.hash?.name ?? "SHA-256";
}

/**
 * The content octets of the DER INTEGER holding the unsigned big-endian
 * number `n`: leading zeros removed, and a 0x00 sign byte put back when the
 * high bit is set (else the INTEGER would be negative, and OpenSSL refuses
 * the signature).
 *
 * @param n An unsigned big-endian number (r or s of an ECDSA signature).
 * @returns The minimal two's-complement encoding.
 */
export function derIntegerContent(n: Uint8Array): Uint8Array<ArrayBuffer> {
  let i = 0;
  while (i < n.length - 1 && n[i] === 0) i++;
  const body = n.subarray(i);
  if (body[0] & 0x80) {
    const out = new Uint8Array(body.length + 1);
    out.set(body, 1);
    return out;
  }
  return body.slice();
}

/** Signs `data` with `issued`'s key, returning the algorithm and the DER signature. */
export async function signWith(
  issued: Issued,
  data: Uint8Array,
): Promise<{ alg: AlgorithmIdentifier; sig: Uint8Array }> {
  const key = issued.keys.privateKey;
  const name = key.algorithm.name;
  if (name === "ECDSA") {
    const curve = (key.algorithm as EcKeyAlgorithm).namedCurve;
    const hash = curve === "P-384" ? "SHA-384" : "SHA-256";
    const raw = new Uint8Array(
      await crypto.subtle.sign({ name, hash }, key, data as Uint8Array<ArrayBuffer>),
    );
    const half = raw.length / 2;
    const sig = new Uint8Array(AsnConvert.serialize(
      new ECDSASigValue({
        r: derIntegerContent(raw.subarray(0, half)).buffer,
        s: derIntegerContent(raw.subarray(half)).buffer,
      }),
    ));
    return { alg: new AlgorithmIdentifier({ algorithm: ECDSA_OIDS[hash] }), sig };
  }
  if (name === "RSASSA-PKCS1-v1_5") {
    const sig = new Uint8Array(
      await crypto.subtle.sign({ name }, key, data as Uint8Array<ArrayBuffer>),
    );
    return {
      alg: new AlgorithmIdentifier({ algorithm: RSA_OIDS[hashOf(key)], parameters: null }),
      sig,
    };
  }
  if (name === "RSA-PSS") {
    const sig = new Uint8Array(
      await crypto.subtle.sign({ name, saltLength: 32 }, key, data as Uint8Array<ArrayBuffer>),
    );
    const params = new RsaSaPssParams({
      hashAlgorithm: new AlgorithmIdentifier({ algorithm: id_sha256, parameters: null }),
      maskGenAlgorithm: new AlgorithmIdentifier({
        algorithm: "1.2.840.113549.1.1.8",
        parameters: AsnConvert.serialize(
          new AlgorithmIdentifier({ algorithm: id_sha256, parameters: null }),
        ),
      }),
      saltLength: 32,
    });
    return {
      alg: new AlgorithmIdentifier({
        algorithm: id_RSASSA_PSS,
        parameters: AsnConvert.serialize(params),
      }),
      sig,
    };
  }
  if (name === "Ed25519") {
    const sig = new Uint8Array(
      await crypto.subtle.sign({ name }, key, data as Uint8Array<ArrayBuffer>),
    );
    return { alg: new AlgorithmIdentifier({ algorithm: "1.3.101.112" }), sig };
  }
  throw new Error(`cannot sign with ${name}`);
}

function certIdWithParameters(spec: SingleSpec) {
  const asn = toAsnCertId(spec.certId);
  if (spec.hashParameters === "absent") asn.hashAlgorithm.parameters = undefined;
  else if (spec.hashParameters) asn.hashAlgorithm.parameters = spec.hashParameters.slice().buffer;
  return asn;
}

function certStatus(spec: SingleSpec): CertStatus {
  switch (spec.status ?? "good") {
    case "good":
      return new CertStatus({ good: null });
    case "unknown":
      return new CertStatus({ unknown: null });
    case "revoked":
      return new CertStatus({
        revoked: new RevokedInfo({
          revocationTime: spec.revokedAt ?? new Date(Date.now() - 86_400_000),
          revocationReason: spec.reason === undefined ? undefined : new CRLReason(spec.reason),
        }),
      });
  }
}

/** A nonce extension holding `nonce`. */
export function nonceExtension(nonce: Uint8Array): Extension {
  return new Extension({
    extnID: id_pkix_ocsp_nonce,
    critical: false,
    extnValue: new OctetString(AsnConvert.serialize(new OctetString(nonce))),
  });
}

/**
 * Builds a signed OCSP response from a description.
 *
 * @param spec What the response says and who signs it.
 * @returns The DER response.
 */
export async function buildOcspResponse(spec: ResponseSpec): Promise<Uint8Array> {
  const now = Date.now();
  const signerCert = AsnConvert.parse(spec.signer.der, Certificate);
  const responderID = spec.responderName
    ? new ResponderID({
      byName: AsnConvert.parse(new x509.Name(spec.responderName).toArrayBuffer(), Name),
    })
    : (spec.responderId ?? "key") === "name"
    ? new ResponderID({
      byName: AsnConvert.parse(AsnConvert.serialize(signerCert.tbsCertificate.subject), Name),
    })
    : new ResponderID({
      byKey: new KeyHash(
        await crypto.subtle.digest(
          "SHA-1",
          signerCert.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey,
        ),
      ),
    });
  const extensions = [...(spec.extensions ?? [])];
  if (spec.nonce) extensions.push(nonceExtension(spec.nonce));
  const data = new ResponseData({
    version: spec.version ?? 0,
    responderID,
    producedAt: wholeSeconds(spec.producedAt ?? new Date(now)),
    responses: spec.singles.map((s) =>
      new SingleResponse({
        certID: certIdWithParameters(s),
        certStatus: certStatus(s),
        thisUpdate: wholeSeconds(s.thisUpdate ?? new Date(now - 3_600_000)),
        nextUpdate: s.nextUpdate === null
          ? undefined
          : wholeSeconds(s.nextUpdate ?? new Date(now + 3 * 86_400_000)),
        singleExtensions: s.extensions,
      })
    ),
    responseExtensions: extensions.length ? extensions : undefined,
  });
  let tbs = new Uint8Array(AsnConvert.serialize(data));
  if (spec.rewriteTimes) tbs = rewriteGeneralizedTimes(tbs, spec.rewriteTimes) ?? tbs;
  const signed = await signWith(spec.signingKey ?? spec.signer, tbs);
  const alg = signed.alg;
  let sig = signed.sig;
  if (spec.corruptSignature) sig[sig.length - 1] ^= 0x01;
  if (spec.mangleSignature) sig = spec.mangleSignature(sig);
  if (spec.signatureOid) alg.algorithm = spec.signatureOid;
  if (spec.signatureParameters === null) alg.parameters = undefined;
  else if (spec.signatureParameters) alg.parameters = spec.signatureParameters.slice().buffer;
  const basic = new BasicOCSPResponse({
    tbsResponseData: data,
    signatureAlgorithm: alg,
    signature: sig.slice().buffer,
    certs: spec.certs?.map((c) => AsnConvert.parse(c.der, Certificate)),
  });
  let basicDer = new Uint8Array(AsnConvert.serialize(basic));
  if (spec.rewriteTimes) {
    basicDer = rewriteGeneralizedTimes(basicDer, spec.rewriteTimes) ?? basicDer;
  }
  return wrapBasic(basicDer, spec.responseType);
}

/**
 * A time without its milliseconds: real CAs write whole seconds, and OpenSSL
 * (so HAProxy) misreads a GeneralizedTime with a fraction. Tests that need a
 * fraction write it with `rewriteTimes`.
 */
function wholeSeconds(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

/** Wraps a BasicOCSPResponse in a successful OCSPResponse. */
export function wrapBasic(basic: Uint8Array, responseType = id_pkix_ocsp_basic): Uint8Array {
  return new Uint8Array(AsnConvert.serialize(
    new OCSPResponse({
      responseStatus: OCSPResponseStatus.successful,
      responseBytes: new ResponseBytes({ responseType, response: new OctetString(basic) }),
    }),
  ));
}

/** An OCSPResponse with only a status (tryLater and friends). */
export function statusOnlyResponse(status: number): Uint8Array {
  return new Uint8Array([0x30, 0x03, 0x0a, 0x01, status]);
}

/** A request as the responder sees it. */
export interface ParsedOcspRequest {
  /** The CertIDs asked about. */
  certIds: CertId[];
  /** The nonce, when sent. */
  nonce?: Uint8Array;
  /** How it came. */
  method: "GET" | "POST";
}

/**
 * Reads an OCSP request from an HTTP request (GET path or POST body).
 *
 * @param req The HTTP request.
 * @returns The parsed request, or undefined when it is not one.
 */
export async function parseHttpOcspRequest(req: Request): Promise<ParsedOcspRequest | undefined> {
  // Reads the body of a POST: handlers get the parsed request, not the body.
  let der: Uint8Array | undefined;
  if (req.method === "POST") {
    der = new Uint8Array(await req.arrayBuffer());
  } else {
    const path = new URL(req.url).pathname;
    der = decodeBase64(decodeURIComponent(path.slice(path.lastIndexOf("/") + 1)));
  }
  if (!der) return undefined;
  try {
    const parsed = AsnConvert.parse(der, OCSPRequest);
    const nonceExt = parsed.tbsRequest.requestExtensions?.find((e) =>
      e.extnID === id_pkix_ocsp_nonce
    );
    return {
      certIds: parsed.tbsRequest.requestList.map((r) => fromAsnCertId(r.reqCert)),
      nonce: nonceExt
        ? new Uint8Array(AsnConvert.parse(nonceExt.extnValue.buffer, OctetString).buffer)
        : undefined,
      method: req.method === "POST" ? "POST" : "GET",
    };
  } catch {
    return undefined;
  }
}

/** A running test responder. */
export interface TestResponder {
  /** Its base URL, `http://127.0.0.1:<port>`. */
  url: string;
  /** Its port. */
  port: number;
  /** Requests seen so far. */
  requests: ParsedOcspRequest[];
  /** Stops it. */
  close(): Promise<void>;
}

/**
 * Starts an HTTP server on 127.0.0.1 answering with `handler`.
 *
 * @param handler Makes the HTTP response for a request.
 * @param options A fixed port (default: a free one).
 * @returns The running responder.
 */
export function startResponder(
  handler: (req: Request, parsed: ParsedOcspRequest | undefined) => Response | Promise<Response>,
  options: { port?: number } = {},
): TestResponder {
  const requests: ParsedOcspRequest[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: options.port ?? 0, onListen() {} },
    async (req) => {
      const parsed = await parseHttpOcspRequest(req);
      if (parsed) requests.push(parsed);
      return await handler(req, parsed);
    },
  );
  const port = server.addr.port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: async () => {
      await server.shutdown();
    },
  };
}

/** An HTTP response carrying an OCSP response body. */
export function ocspHttpResponse(der: Uint8Array): Response {
  return new Response(der as Uint8Array<ArrayBuffer>, {
    status: 200,
    headers: { "content-type": "application/ocsp-response" },
  });
}

/**
 * A CA's responder: answers every request from a status table, signed by
 * the CA itself (or a delegated responder).
 *
 * @param signer Who signs (the CA or its delegated responder).
 * @param status Status per serial (hex as @peculiar/x509 prints it); others are unknown.
 * @param options Extra certs to include, validity length.
 * @returns A handler for {@linkcode startResponder}.
 */
export function caHandler(
  signer: Issued,
  status: Map<string, "good" | "revoked">,
  options: { certs?: Issued[]; validityMs?: number; revokedReason?: number } = {},
): (req: Request, parsed: ParsedOcspRequest | undefined) => Promise<Response> {
  return async (_req, parsed) => {
    if (!parsed || parsed.certIds.length !== 1) {
      return ocspHttpResponse(statusOnlyResponse(OCSPResponseStatus.malformedRequest));
    }
    const certId = parsed.certIds[0];
    const serial = toHex(certId.serialNumber).replace(/^(00)+(?=.)/, "");
    const known = [...status.entries()].find(([s]) =>
      s.toLowerCase().replace(/^(00)+(?=.)/, "") === serial
    );
    const now = Date.now();
    const der = await buildOcspResponse({
      signer,
      certs: options.certs,
      nonce: parsed.nonce,
      singles: [{
        certId,
        status: known ? known[1] : "unknown",
        reason: options.revokedReason,
        thisUpdate: new Date(now - 60_000),
        nextUpdate: new Date(now + (options.validityMs ?? 4 * 86_400_000)),
      }],
    });
    return ocspHttpResponse(der);
  };
}
