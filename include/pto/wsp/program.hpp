// Compiling a workload for a backend, and running it: Program, its options, stats and task log.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "pto/wsp/kernel/kernel.hpp"
#include "pto/wsp/workload/bindings.hpp"
#include "pto/wsp/workload/plan.hpp"
#include "pto/wsp/workload/workload.hpp"

namespace pto::wsp {

enum class WindowMode : std::uint8_t {
  Stall,  ///< generation waits until a task finishes
  Abort,  ///< the execution fails with ExecutionError naming the window
};

/// At most `size` tasks are generated and not yet finished at any instant.
struct TaskWindow {
  std::int64_t size = 8192;
  WindowMode mode = WindowMode::Stall;
};

struct CompileOptions {
  std::string target = "cpu";
  int threads = 0;  ///< worker threads; 0: std::thread::hardware_concurrency()
  TaskWindow window{};
  const KernelRegistry* registry = nullptr;  ///< resolves kernels named by string
  /// Check every task's views before anything runs, so a bad view fails the execution with
  /// nothing executed (costs one generation pass without tracking).
  bool prevalidate = true;
  /// Keep a log of every task (ids, worker, timestamps, dependencies); see Program::task_log.
  bool record_tasks = false;
};

struct WorkerStats {
  std::int64_t tasks = 0;
  std::int64_t busy_ns = 0;  ///< time spent inside kernels
};

struct ProgramStats {
  std::int64_t tasks = 0;
  std::int64_t makespan_ns = 0;    ///< execute() to the last task's end
  std::int64_t generation_ns = 0;  ///< generation + dependency tracking, summed over workers
  std::int64_t validation_ns = 0;  ///< the prevalidation pass
  std::vector<WorkerStats> workers;
  /// "tasks 20  makespan 1.234 ms  generation 0.100 ms  worker 0: 10 tasks, 0.5 ms busy ..."
  std::string to_string() const;
};

/// One executed task, as the log records it (times in ns from execute()).
struct TaskEvent {
  std::uint64_t id = 0;  ///< generation index, from 0
  int node = -1;         ///< plan node
  std::string kernel;
  std::vector<std::pair<std::string, std::int64_t>> axes;
  int worker = -1;
  std::int64_t gen_ns = 0, ready_ns = 0, start_ns = 0, end_ns = 0;
  std::vector<std::uint64_t> deps;  ///< ids of the tasks whose data it waited for
};

class Executor;

/// A compiled workload. `execute` binds new values and starts running asynchronously;
/// `synchronize` waits and raises the first error (KernelError, CompileError for a bad view,
/// ExecutionError for an ABORT window). A program can be executed any number of times.
class Program {
 public:
  Program(Plan plan, CompileOptions options);
  Program(Program&&) noexcept;
  Program& operator=(Program&&) noexcept;
  ~Program();

  /// Binds `values` (raising CompileError/TypeCheckError at once on bad input: nothing runs) and
  /// starts the execution. Raises ExecutionError while a previous execution is unsynchronized.
  void execute(const Bindings& values);
  void synchronize();
  bool is_complete() const;
  ProgramStats stats() const;
  /// Tasks of the last synchronized execution, by id (empty unless record_tasks).
  const std::vector<TaskEvent>& task_log() const;
  const Plan& plan() const;
  const CompileOptions& options() const;

 private:
  std::unique_ptr<Executor> impl_;
};

/// Lowers and checks `workload` and prepares it for `options.target` ("cpu").
Program compile(const Workload& workload, CompileOptions options = {});

}  // namespace pto::wsp
