// Runs a TileProgram on a task's arguments. Values are assigned to buffer slots by liveness when
// the interpreter is made, and frames (one set of slot buffers) are pooled, so a steady stream of
// tasks allocates nothing; concurrent run() calls take different frames.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "pto/wsp/kernel/kernel.hpp"
#include "pto/wsp/tile/program.hpp"

namespace pto {

class Interpreter {
 public:
  explicit Interpreter(std::shared_ptr<const TileProgram> program);
  ~Interpreter();
  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;

  /// Executes the program on `args` (thread-safe). Bad bound views (rank, dtype, read-only
  /// output) raise ExecutionError naming the parameter.
  void run(const wsp::TaskArgs& args);

  const TileProgram& program() const noexcept { return *program_; }
  /// Buffer slots after liveness-based reuse (≤ number of values).
  int slots() const noexcept { return static_cast<int>(slot_bytes_.size()); }

 private:
  struct Frame;
  std::unique_ptr<Frame> acquire();
  void release(std::unique_ptr<Frame> frame);

  std::shared_ptr<const TileProgram> program_;
  std::vector<int> slot_of_;              ///< value id -> slot
  std::vector<std::int64_t> slot_bytes_;  ///< capacity per slot
  std::mutex pool_mutex_;
  std::vector<std::unique_ptr<Frame>> pool_;
};

}  // namespace pto
