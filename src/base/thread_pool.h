// One persistent pool of worker threads. The caller is thread 0 and works too; `run` hands every
// thread the same job and returns when all have finished it. Workers spin briefly on a generation
// counter (a layer issues several jobs within microseconds) and then sleep on a condition variable,
// so an idle pool costs no CPU. Nothing is allocated per job.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
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

 private:
  using JobFn = void (*)(void*, int);
  void run_impl(JobFn fn, void* ctx);
  void worker(int index);

  int n_threads_;
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
