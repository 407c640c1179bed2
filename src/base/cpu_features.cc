#include "base/cpu_features.h"

#include <sched.h>

#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <utility>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace slm {
namespace {

CpuFeatures detect() {
  CpuFeatures f;
#if defined(__x86_64__) || defined(__i386__)
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
  const bool osxsave = (c >> 27) & 1;
  const bool avx = (c >> 28) & 1;
  f.fma = (c >> 12) & 1;
  f.f16c = (c >> 29) & 1;
  unsigned long long xcr0 = 0;
  if (osxsave) {
    unsigned lo = 0, hi = 0;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    xcr0 = (static_cast<unsigned long long>(hi) << 32) | lo;
  }
  const bool os_ymm = (xcr0 & 0x6) == 0x6;
  const bool os_zmm = (xcr0 & 0xe6) == 0xe6;  // xmm, ymm, opmask, zmm0-15 upper halves, zmm16-31
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return f;
  f.avx2 = avx && os_ymm && ((b >> 5) & 1);
  f.fma = f.fma && os_ymm;
  f.f16c = f.f16c && os_ymm;
  f.avx512f = os_zmm && ((b >> 16) & 1);
  f.avx512dq = os_zmm && ((b >> 17) & 1);
  f.avx512bw = os_zmm && ((b >> 30) & 1);
  f.avx512vl = os_zmm && ((b >> 31) & 1);
  f.avx512vnni = os_zmm && ((c >> 11) & 1);
  if (__get_cpuid_count(7, 1, &a, &b, &c, &d)) f.avx_vnni = os_ymm && ((a >> 4) & 1);
#endif
  return f;
}

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures f = detect();
  return f;
}

int physical_core_count() {
  // Count distinct (physical id, core id) pairs among the CPUs this process may use.
  cpu_set_t set;
  CPU_ZERO(&set);
  int allowed = 0;
  if (sched_getaffinity(0, sizeof set, &set) == 0) allowed = CPU_COUNT(&set);
  std::set<std::pair<int, int>> cores;
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  int processor = -1, phys = 0;
  while (std::getline(in, line)) {
    auto value = [&]() { return std::stoi(line.substr(line.find(':') + 1)); };
    if (line.rfind("processor", 0) == 0) processor = value();
    else if (line.rfind("physical id", 0) == 0) phys = value();
    else if (line.rfind("core id", 0) == 0) {
      if (allowed == 0 || (processor >= 0 && processor < CPU_SETSIZE && CPU_ISSET(processor, &set)))
        cores.insert({phys, value()});
    }
  }
  int n = static_cast<int>(cores.size());
  if (n == 0) n = allowed > 0 ? allowed : static_cast<int>(std::thread::hardware_concurrency());
  return n > 0 ? n : 1;
}

}  // namespace slm
