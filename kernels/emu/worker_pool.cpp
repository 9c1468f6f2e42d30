#include "kernels/emu/worker_pool.h"

namespace dae::emu {

WorkerPool::WorkerPool(int n_helpers) {
  for (int i = 0; i < n_helpers; ++i) helpers_.emplace_back([this] { helper_loop(); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : helpers_) t.join();
}

void WorkerPool::run_everywhere(const std::function<void()>& job) {
  {
    std::lock_guard lock(mutex_);
    job_ = &job;
    ++generation_;
    busy_ = int(helpers_.size());
  }
  wake_.notify_all();
  job();
  std::unique_lock lock(mutex_);
  done_.wait(lock, [this] { return busy_ == 0; });
  job_ = nullptr;
}

void WorkerPool::helper_loop() {
  std::uint64_t seen = 0;
  for (;;) {
    const std::function<void()>* job = nullptr;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      job = job_;
    }
    (*job)();
    {
      std::lock_guard lock(mutex_);
      --busy_;
    }
    done_.notify_one();
  }
}

}  // namespace dae::emu
