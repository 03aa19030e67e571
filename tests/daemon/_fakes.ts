/**
 * Fakes for engine tests: a CA responder reached through `fetch` that
 * answers on the fake clock, and a sink that records pushes.
 *
 * @module
 */
import type { Issued } from "../../scripts/lib/pki.ts";
import {
  buildOcspResponse,
  ocspHttpResponse,
  parseHttpOcspRequest,
  statusOnlyResponse,
} from "../../scripts/lib/ocsp_responder.ts";
import type { StapleSink } from "../../src/daemon/mod.ts";
import { toHex } from "../../src/certs/mod.ts";
import type { FakeClock } from "../_helpers/fake_clock.ts";

const H = 3_600_000;
const MIN = 60_000;

/** A fake CA responder reached through `fetch`, answering from the fake clock. */
export class FakeCa {
  requests: Array<{ at: number; serial: string; url: string }> = [];
  /** Requests being answered now. */
  inFlight = 0;
  /** Most requests answered at once. */
  maxInFlight = 0;
  mode: "ok" | "down" | "tryLater" = "ok";
  status = new Map<string, "good" | "revoked">();
  validityMs = 4 * 24 * H;
  /** Real ms each answer takes (to see how many are in flight). */
  delayMs = 0;
  constructor(readonly ca: Issued, readonly clock: FakeClock) {}

  fetch: typeof fetch = async (input, init) => {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
      return await this.#answer(input, init);
    } finally {
      this.inFlight--;
    }
  };

  #answer: typeof fetch = async (input, init) => {
    const req = new Request(input as string, init);
    const parsed = await parseHttpOcspRequest(req);
    const serial = parsed ? toHex(parsed.certIds[0].serialNumber) : "?";
    this.requests.push({ at: this.clock.now(), serial, url: req.url.slice(0, 30) });
    if (this.mode === "down") throw new TypeError("error sending request: connection refused");
    if (this.mode === "tryLater") return ocspHttpResponse(statusOnlyResponse(3));
    const now = this.clock.now();
    const known = [...this.status].find(([s]) =>
      s.toLowerCase().replace(/^(00)+/, "") === serial.replace(/^(00)+/, "")
    );
    return ocspHttpResponse(
      await buildOcspResponse({
        signer: this.ca,
        producedAt: new Date(now),
        singles: [{
          certId: parsed!.certIds[0],
          status: known?.[1] ?? "unknown",
          thisUpdate: new Date(now - MIN),
          nextUpdate: new Date(now + this.validityMs),
        }],
      }),
    );
  };

  count(serial: string): number {
    return this.requests.filter((r) =>
      r.serial.replace(/^(00)+/, "") === serial.toLowerCase().replace(/^(00)+/, "")
    ).length;
  }
}

export class RecordingSink implements StapleSink<string> {
  pushes: Array<{ path: string; size: number; sockets: string[] }> = [];
  /** Certificates whose push throws, standing in for a bug. */
  crashOn = new Set<string>();
  forgotten: string[] = [];
  closed = false;
  push(path: string, der: Uint8Array, sockets: readonly string[]) {
    if (this.crashOn.has(path)) throw new RangeError("a bug nobody expected");
    this.pushes.push({ path, size: der.length, sockets: [...sockets] });
    return Promise.resolve();
  }
  forget(path: string) {
    this.forgotten.push(path);
  }
  close() {
    this.closed = true;
    return Promise.resolve();
  }
}
