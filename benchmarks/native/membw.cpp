// The machine's native streaming-read bandwidth, for comparison with what
// the Wasm kernels reach (benchmarks/gemv-stream.bench.ts): sums a buffer of
// each size with 16-byte SSE loads, best of 30 passes. Not part of the
// package or the tests.
//
//   g++ -O2 -msse4.1 benchmarks/native/membw.cpp -o /tmp/membw && /tmp/membw

#include <immintrin.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>

int main() {
  for (size_t mib : {1ul, 4ul, 8ul, 16ul, 20ul, 32ul, 64ul, 128ul}) {
    const size_t n = mib << 20;
    char* p = static_cast<char*>(aligned_alloc(64, n));
    memset(p, 1, n);
    __m128i acc = _mm_setzero_si128();
    double best = 0;
    for (int pass = 0; pass < 30; pass++) {
      const auto t0 = std::chrono::steady_clock::now();
      for (size_t i = 0; i < n; i += 64) {
        acc = _mm_add_epi32(acc, _mm_load_si128(reinterpret_cast<__m128i*>(p + i)));
        acc = _mm_add_epi32(acc, _mm_load_si128(reinterpret_cast<__m128i*>(p + i + 16)));
        acc = _mm_add_epi32(acc, _mm_load_si128(reinterpret_cast<__m128i*>(p + i + 32)));
        acc = _mm_add_epi32(acc, _mm_load_si128(reinterpret_cast<__m128i*>(p + i + 48)));
      }
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (n / s / 1e9 > best) best = n / s / 1e9;
    }
    printf("%4zu MiB: %6.1f GB/s  (checksum %d)\n", mib, best, _mm_cvtsi128_si32(acc));
    free(p);
  }
}
