// CpuRelax: the spin-wait hint (x86 `pause`) for the busy-wait loops of
// SpinLock, SharedMutex and FetchWaiter: it lets the sibling hyperthread run
// and saves power while a loop polls a flag. A no-op elsewhere.
//
// Thread-safety: stateless.
#pragma once

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace samsa {

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

}  // namespace samsa
