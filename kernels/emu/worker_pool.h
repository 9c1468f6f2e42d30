// OS threads that run the blocks of a launch beside the launching thread
// (internal to the emulator).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace dae::emu {

class WorkerPool {
 public:
  explicit WorkerPool(int n_helpers);
  ~WorkerPool();  // stops and joins the helpers
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  int helpers() const { return int(helpers_.size()); }

  // Runs job() on every helper and on the calling thread; returns when all
  // have returned. job must not throw.
  void run_everywhere(const std::function<void()>& job);

 private:
  void helper_loop();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void()>* job_ = nullptr;
  std::uint64_t generation_ = 0;  // counts jobs, so a helper runs each job once
  int busy_ = 0;                  // helpers still running the current job
  bool stop_ = false;
  std::vector<std::thread> helpers_;
};

}  // namespace dae::emu
