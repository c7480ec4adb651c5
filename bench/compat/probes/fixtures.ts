/** Fixed inputs the probes share. The RSA key is a test key made for this suite, used nowhere else. */
export const RSA_PRIVATE_PEM = `-----BEGIN PRIVATE KEY-----
MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQDzlW1uh8V4eBTP
1KvTwZGU5IHBa+qaaK5Vn6MWNqXRgYwgiMia3b4PT0mEGsHrzxFgvuDvaCnmwNRM
27t0JGEagESxqAc6gOpwphQ52Rr/FYFP9Z4LML7/PKJ6WQUxlyn/2AiURkypGC73
YsIZjgDlZwZoOuKmAuINq5xmU3iGLjgK1U7SKiENYLJRP24UKG8QQ5AWi0L1xIY5
wgJnHTDMLsoc3Wp5hifiOC7QAvPHe1QCmMLiGEdo6gWQfYhyGT8P4TKU2W7uAJYq
Ea5RUq77TNPK6VhA9oXva0E6LpEQF0Z5BeRP6JqKs/9Cq1tVp29/B+mfV12cL5MO
VzNnfGQZAgMBAAECggEAZjsNQin+kWiIh4+BDC89/AkJglXaETMlE++bgXuvDWZ7
Gr59vy2YkpFaz/Rw9hiieQGzoxcLGvtMPvOr0XthO7+g1RUp735ipqO1cm/xmiR6
8MWrrpOnXbUjlgjdmqoQaP3Q3/Y/P2rUb2SGBTapnp4mPMGWFUm5eTZQvkuDFoDm
xO2EDsP9V1ULitX2hkRZJ0xTecHv5obiMzl41Ps3wBhvSBQmdiz+DwXUrRkelPiX
LuIMEcmeM2yKpMJDTb9H6RE6UbVBIH5SCpxQjJ+Axf/soFnTjR869i4eLrfba/Xd
inanClkGxYjiP0/aOaRuaiNOuxVSlY1MFJQzdYP81wKBgQD+HJqxBhogwxSHI0cS
M+22uoS6pjilHYAbepolEJPeqL10S01oC/yHfs3sbPNFN2w8a2YHCiRlQo9KswUj
lJbXPwDar+OQzsuqXEnaMMritdG+2hsh5GScG0GV0jJyMZFpStNp0Us5v82dRYzP
nO5+LmNYDxM2pmVlkvDrbjZhkwKBgQD1ZMu3W1ea9ZyzXTMbgBPbxCXir9Omib+y
zDBbX1AKwPTgHVaF47PernXV7jObKmYtr6yOeOySmu4LTNBEg2QwKi2MQLcOAVqx
tXBZNjOs7eXd+8naUqjpKNNDNDe5B/5Fh7GWWLJMtP5xqQlw+P8n5Yh+nEISCePL
abQxDXrfIwKBgBFX8HLuoK/lwKvsi3hBlRLorhBzMeCLH+hAOO8Yr47941hhn1nf
n4+75uAhG4V43+lLxz3pwkwq+860Y0BnbtgoE63ZXWXPx3TMMbozpFVO5Y7qIfnx
NbC154cLPqgum+cc1UsenszFO4pladPtuRVhoyQqezw6pScGnWzkK9ADAoGARQUJ
q1O8qzAD2AsRsd1vOHPN+BleHUxHJ8H4o+qF99BXz6VQza3CzJIjQH2T9EOTo6vy
i8wFNiLvayw6s9qE1ms2jmkxU3YcDTmsFNuC41OyQKJuHsL7EUFTUmageaF+6g2F
bHUcCSkrG8rghe7yzUTpBDts9efkMzVS4i0ZbyMCgYAw1JJEndpTFvqSPppVTviZ
ilV38MnmxfSA6L6z4Lm//JULyzHifIb8gSZEk03K6zQybMxXr1f5zTr2LJl6Jx00
tfg7KHRxXkio8JDw2vyxOQs64yEUGd0O+eXbz5cJXBH/XENnjcdAsCU5eYrsPJBw
k1NATS4XsjL4FRS6751bOA==
-----END PRIVATE KEY-----`;
export const RSA_PUBLIC_PEM = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA85VtbofFeHgUz9Sr08GR
lOSBwWvqmmiuVZ+jFjal0YGMIIjImt2+D09JhBrB688RYL7g72gp5sDUTNu7dCRh
GoBEsagHOoDqcKYUOdka/xWBT/WeCzC+/zyielkFMZcp/9gIlEZMqRgu92LCGY4A
5WcGaDripgLiDaucZlN4hi44CtVO0iohDWCyUT9uFChvEEOQFotC9cSGOcICZx0w
zC7KHN1qeYYn4jgu0ALzx3tUApjC4hhHaOoFkH2Ichk/D+EylNlu7gCWKhGuUVKu
+0zTyulYQPaF72tBOi6REBdGeQXkT+iairP/QqtbVadvfwfpn1ddnC+TDlczZ3xk
GQIDAQAB
-----END PUBLIC KEY-----`;
/** 2024-02-29T12:34:56.789Z, a leap day, as seconds and as a Date. */
export const FIXED_MS = Date.UTC(2024, 1, 29, 12, 34, 56, 789);
export const FIXED_SEC = Math.floor(FIXED_MS / 1000);
export const fixedDate = (): Date => new Date(FIXED_MS);
/** Bytes as hex, for comparing binary output as JSON. */
export const hex = (b: Uint8Array | ArrayBuffer): string => Array.from(b instanceof Uint8Array ? b : new Uint8Array(b), (x) => x.toString(16).padStart(2, "0")).join("");
