// One persistent pool of worker threads. The caller is thread 0 and works too; `run` hands every
// thread the same job and returns when all have finished it. Workers spin briefly on a generation
// counter (a layer issues several jobs within microseconds) and then sleep on a condition variable,
// so an idle pool costs no CPU. Nothing is allocated per job.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace slm {

class ThreadPool {
 public:
  explicit ThreadPool(int n_threads);  // n_threads >= 1, counting the caller
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  // Calls fn(thread_index) once on each of size() threads; returns when all calls returned.
  template <typename F>
  void run(F&& fn) {
    using Fn = std::remove_reference_t<F>;
    run_impl([](void* ctx, int ti) { (*static_cast<Fn*>(ctx))(ti); }, const_cast<void*>(static_cast<const void*>(&fn)));
  }

  // Thread ti's part [b, e) of [0, n) split into n_threads contiguous ranges of whole chunks of
  // `grain` (>= 1) items, the first n_chunks % n_threads ranges one chunk longer; may be empty.
  static void share(int64_t n, int64_t grain, int ti, int n_threads, int64_t& b, int64_t& e) {
    const int64_t n_chunks = (n + grain - 1) / grain;
    const int64_t per = n_chunks / n_threads, extra = n_chunks % n_threads;
    const int64_t c0 = ti * per + (ti < extra ? ti : extra);
    const int64_t c1 = c0 + per + (ti < extra ? 1 : 0);
    b = c0 * grain;
    e = c1 * grain < n ? c1 * grain : n;
  }

  // Splits [0, n) as share() does and calls fn(begin, end, thread_index) for each non-empty range.
  template <typename F>
  void parallel_for(int64_t n, int64_t grain, F&& fn) {
    if (n <= 0) return;
    if (grain < 1) grain = 1;
    if (n_threads_ == 1 || n <= grain) {
      fn(int64_t{0}, n, 0);
      return;
    }
    run([&](int ti) {
      int64_t b = 0, e = 0;
      share(n, grain, ti, n_threads_, b, e);
      if (b < e) fn(b, e, ti);
    });
  }

  // Like parallel_for, but fn(begin, end, thread_index) gets one chunk of `grain` items at a
  // time, and a thread that has finished its own share() range goes on with the chunks left in
  // the others' ranges. Threads run at different speeds (a colder cache, a busier memory channel,
  // a core shared with another process), and with a static split the fast one waits at the join
  // for the slow one; here they end within one chunk of each other. Each item still goes to
  // exactly one call, so results never depend on who ran it. One call at a time per pool.
  template <typename F>
  void parallel_for_balanced(int64_t n, int64_t grain, F&& fn) {
    if (n <= 0) return;
    if (grain < 1) grain = 1;
    if (n_threads_ == 1 || n <= grain) {
      for (int64_t b = 0; b < n; b += grain) fn(b, b + grain < n ? b + grain : n, 0);
      return;
    }
    const int64_t n_chunks = (n + grain - 1) / grain;
    for (int ti = 0; ti < n_threads_; ++ti) {
      int64_t b = 0, e = 0;
      share(n_chunks, 1, ti, n_threads_, b, e);
      ranges_[ti].next.store(b, std::memory_order_relaxed);
      ranges_[ti].end = e;
    }
    run([&](int ti) {
      for (int k = 0; k < n_threads_; ++k) {  // its own range first, then the others' in turn
        Range& r = ranges_[(ti + k) % n_threads_];
        for (int64_t c; (c = r.next.fetch_add(1, std::memory_order_relaxed)) < r.end;)
          fn(c * grain, (c + 1) * grain < n ? (c + 1) * grain : n, ti);
      }
    });
  }

 private:
  using JobFn = void (*)(void*, int);
  void run_impl(JobFn fn, void* ctx);
  void worker(int index);

  // One thread's chunks in parallel_for_balanced: the next one to take and the end. A cache line
  // each, so that a thread taking its own chunks does not contend with the others.
  struct alignas(64) Range {
    std::atomic<int64_t> next{0};
    int64_t end = 0;
  };

  int n_threads_;
  std::unique_ptr<Range[]> ranges_;  // [n_threads_]
  std::vector<std::thread> workers_;
  JobFn job_fn_ = nullptr;
  void* job_ctx_ = nullptr;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
  std::atomic<int> sleepers_{0};
  std::mutex mu_;
  std::condition_variable cv_;
};

}  // namespace slm
