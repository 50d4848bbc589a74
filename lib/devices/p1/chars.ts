/**
 * Character codes the P1 scanners compare against (7-bit ASCII; telegrams are masked to 7 bits). A const
 * enum, so the compiler puts the numbers into the scanners' comparisons.
 */
export const enum Ch {
  LF = 0x0a,
  CR = 0x0d,
  BANG = 0x21, // '!' end of telegram
  OPEN_PAREN = 0x28,
  CLOSE_PAREN = 0x29,
  STAR = 0x2a, // '*' before a unit, or an OBIS F group
  PLUS = 0x2b,
  MINUS = 0x2d, // also the OBIS A-B separator
  DOT = 0x2e,
  SLASH = 0x2f, // '/' header start
  D0 = 0x30,
  D1 = 0x31,
  D3 = 0x33,
  D6 = 0x36,
  D7 = 0x37,
  D9 = 0x39,
  COLON = 0x3a, // OBIS B:C separator
  /** OR-ing this bit folds an ASCII letter to lower case. */
  LOWER = 0x20,
  LC_A = 0x61,
  LC_F = 0x66,
  LC_G = 0x67,
  LC_H = 0x68,
  LC_J = 0x6a,
  LC_K = 0x6b,
  LC_M = 0x6d,
  LC_S = 0x73, // also the summer-time flag of a time stamp
  LC_V = 0x76,
  LC_W = 0x77, // also the winter-time flag
  LC_Z = 0x7a,
}

/** True for '0'..'9'. */
export function isDigit(c: number): boolean {
  return c >= Ch.D0 && c <= Ch.D9;
}
