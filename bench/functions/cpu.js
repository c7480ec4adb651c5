// CPU-bound: a fixed amount of integer work (__ITERATIONS__ rounds of xorshift, calibrated
// by the harness to take about 1 ms in plain Node on the machine being measured).
const ITERATIONS = __ITERATIONS__;
function work(n) {
  let x = 0x9e3779b9 | 0;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
  }
  return x >>> 0;
}
export default {
  async fetch() {
    return new Response(String(work(ITERATIONS)));
  },
};
