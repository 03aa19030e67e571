/**
 * GeneralizedTime with a fraction finer than a millisecond. X.690 §11.7
 * allows any number of fraction digits in DER (`20261201120000.1234Z`, no
 * trailing zero), but asn1js keeps milliseconds only, so re-encoding such a
 * response cannot give its bytes back and the strict DER check would refuse
 * a valid response. {@linkcode rewriteGeneralizedTimes} rewrites those
 * times the way asn1js re-encodes them, so the comparison can still be made
 * byte for byte everywhere else.
 *
 * @module
 */
import * as asn1js from "asn1js";

/** A DER GeneralizedTime with more than three fraction digits, the last not zero. */
const FINE_FRACTION_REGEXP = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})\.\d{3}\d*[1-9]Z$/;

/**
 * Calls `rewrite` with the text of every GeneralizedTime in `der` (outside
 * OCTET and BIT STRINGs) and replaces those for which it returns a string.
 *
 * @param der A DER (or BER) structure.
 * @param rewrite Returns the new text of a time, or undefined to keep it.
 * @returns The re-encoded structure, or undefined when nothing was replaced
 *   (or `der` does not parse).
 *
 * @example Rewrite the time inside a SEQUENCE
 * ```ts
 * import { rewriteGeneralizedTimes } from "./_generalized_time.ts";
 * const time = new TextEncoder().encode("20261201120000Z");
 * const der = new Uint8Array([0x30, 17, 0x18, 15, ...time]);
 * const out = rewriteGeneralizedTimes(der, (t) => t.replace("Z", ".5Z"))!;
 * console.assert(new TextDecoder().decode(out.subarray(4)) === "20261201120000.5Z");
 * console.assert(out[1] === 19);
 * ```
 */
export function rewriteGeneralizedTimes(
  der: Uint8Array,
  rewrite: (text: string) => string | undefined,
): Uint8Array<ArrayBuffer> | undefined {
  const parsed = asn1js.fromBER(der);
  if (parsed.offset === -1) return undefined;
  let replaced = 0;
  const walk = (node: asn1js.BaseBlock) => {
    if (!node.idBlock.isConstructed) return;
    const children = (node.valueBlock as unknown as { value?: asn1js.BaseBlock[] }).value;
    if (!Array.isArray(children)) return;
    children.forEach((child, i) => {
      if (child instanceof asn1js.GeneralizedTime && !child.idBlock.isConstructed) {
        const text = String.fromCharCode(...child.valueBlock.valueHexView);
        const next = rewrite(text);
        if (next !== undefined) {
          // A raw primitive: the text is written as given, even if asn1js could not read it.
          children[i] = new asn1js.Primitive({
            idBlock: { tagClass: 1, tagNumber: 24 },
            valueHex: Uint8Array.from(next, (c) => c.charCodeAt(0)),
          });
          replaced++;
        }
      } else {
        walk(child);
      }
    });
  };
  walk(parsed.result);
  return replaced ? new Uint8Array(parsed.result.toBER()) : undefined;
}

/**
 * For a valid DER GeneralizedTime finer than a millisecond, the text asn1js
 * re-encodes it as (the time it reads, to the millisecond); otherwise
 * undefined, so every other time is still compared as it is.
 *
 * @param text The time's characters.
 * @returns The millisecond form, or undefined.
 *
 * @example
 * ```ts
 * import { millisecondForm } from "./_generalized_time.ts";
 * console.assert(millisecondForm("20261201120000.1234Z") === "20261201120000.123Z");
 * console.assert(millisecondForm("20261201120000.12340Z") === undefined); // not DER
 * console.assert(millisecondForm("20261301120000.1234Z") === undefined); // month 13
 * ```
 */
export function millisecondForm(text: string): string | undefined {
  const m = FINE_FRACTION_REGEXP.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number);
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  // Calendar check: Date.UTC rolls month 13 or second 60 over; DER does not allow them.
  if (
    date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day || date.getUTCHours() !== hour ||
    date.getUTCMinutes() !== minute || date.getUTCSeconds() !== second
  ) {
    return undefined;
  }
  const asRead = new asn1js.GeneralizedTime({ value: text }).toDate();
  return new asn1js.GeneralizedTime({ valueDate: asRead }).toString();
}

/** The thisUpdate and nextUpdate texts of one SingleResponse. */
export interface UpdateTimeTexts {
  /** thisUpdate as written. */
  thisUpdate?: string;
  /** nextUpdate as written, when present. */
  nextUpdate?: string;
}

function timeText(node: asn1js.GeneralizedTime): string {
  return String.fromCharCode(...node.valueBlock.valueHexView);
}

/**
 * The thisUpdate and nextUpdate of each SingleResponse exactly as written in
 * a DER ResponseData (asn1js's dates keep only milliseconds, and a `.000`
 * fraction reads the same as none).
 *
 * @param tbs The DER ResponseData (tbsResponseData).
 * @returns One entry per SingleResponse, in order.
 *
 * @example
 * ```ts
 * import * as asn1js from "asn1js";
 * import { updateTimeTexts } from "./_generalized_time.ts";
 * const single = new asn1js.Sequence({
 *   value: [
 *     new asn1js.Sequence(), // certID (contents do not matter here)
 *     new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 } }), // good
 *     new asn1js.GeneralizedTime({ value: "20261201120000.5Z" }),
 *   ],
 * });
 * const data = new asn1js.Sequence({
 *   value: [new asn1js.GeneralizedTime({ value: "20261201120000Z" }), new asn1js.Sequence({ value: [single] })],
 * });
 * const [times] = updateTimeTexts(new Uint8Array(data.toBER()));
 * console.assert(times.thisUpdate === "20261201120000.5Z" && times.nextUpdate === undefined);
 * ```
 */
export function updateTimeTexts(tbs: Uint8Array): UpdateTimeTexts[] {
  const parsed = asn1js.fromBER(tbs, { parseEmbedded: false });
  return parsed.offset === -1 ? [] : updateTimeTextsOf(parsed.result);
}

/**
 * {@linkcode updateTimeTexts} of a ResponseData already read by asn1js (a
 * strict-DER response's, whose tree need not be made twice).
 *
 * @param responseData The ResponseData's asn1js tree.
 * @returns One entry per SingleResponse, in order.
 *
 * @example
 * ```ts
 * import * as asn1js from "asn1js";
 * import { updateTimeTextsOf } from "./_generalized_time.ts";
 * const single = new asn1js.Sequence({
 *   value: [new asn1js.Sequence(), new asn1js.GeneralizedTime({ value: "20261201120000Z" })],
 * });
 * const data = new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [single] })] });
 * const [times] = updateTimeTextsOf(asn1js.fromBER(data.toBER()).result);
 * console.assert(times.thisUpdate === "20261201120000Z");
 * ```
 */
export function updateTimeTextsOf(responseData: asn1js.AsnType): UpdateTimeTexts[] {
  if (!(responseData instanceof asn1js.Sequence)) return [];
  // ResponseData's only universal SEQUENCE is `responses` (responderID and
  // the extensions are context-tagged).
  const responses = responseData.valueBlock.value.find((f) => f instanceof asn1js.Sequence);
  if (!(responses instanceof asn1js.Sequence)) return [];
  return responses.valueBlock.value.map((single) => {
    const fields = single instanceof asn1js.Sequence ? single.valueBlock.value : [];
    const at = fields.findIndex((f) => f instanceof asn1js.GeneralizedTime);
    const thisUpdate = fields[at];
    if (!(thisUpdate instanceof asn1js.GeneralizedTime)) return {};
    const next = fields[at + 1];
    const inner = next?.idBlock.tagClass === 3 && next.idBlock.tagNumber === 0 &&
        next.idBlock.isConstructed
      ? (next.valueBlock as unknown as { value?: asn1js.BaseBlock[] }).value?.[0]
      : undefined;
    return {
      thisUpdate: timeText(thisUpdate),
      nextUpdate: inner instanceof asn1js.GeneralizedTime ? timeText(inner) : undefined,
    };
  });
}
