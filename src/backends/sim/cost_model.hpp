// The sim backend's per-task costs (docs/sim.md). `of` runs once per task — when the host has
// generated it, or for a cost function when the task becomes ready — so its common case is
// inline; compiling the cost expressions happens once, in the constructor.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "engine/engine.hpp"
#include "engine/kernel_call.hpp"
#include "pto/wsp/core/error.hpp"
#include "pto/wsp/core/expr_program.hpp"
#include "pto/wsp/sim/machine.hpp"
#include "pto/wsp/workload/plan.hpp"

namespace pto::wsp::sim {

// Where each kernel's per-task cost comes from: a cost measured on the machine (calibration)
// first, then the kernel's own cost expression or function, then its tile program on the
// machine's tile cost model (the same for every task: tile shapes are static).
class CostModel {
 public:
  struct Cost {
    CoreKind core;
    std::int64_t ns;
  };

  /// Raises CompileError for a kernel without any cost, whose cost expression reads an axis its
  /// task does not have, or whose transfer through the machine's HBM would outlast simulated time.
  CostModel(const Plan& plan, const Machine& m);

  /// Whether any kernel's cost says how many bytes it moves to and from global memory (those
  /// costed from tile programs), and how many a task of kernel `kernel` moves (else 0).
  bool moves_gm_bytes() const noexcept { return moves_gm_bytes_; }
  double gm_bytes(int kernel) const noexcept { return gm_bytes_[static_cast<std::size_t>(kernel)]; }

  /// Whether a task of plan node `node` is costed from what its generation resolved alone (a
  /// measured or tile-program cost, a cost expression of its scalars and axes): it can be costed
  /// as soon as it is generated. A cost function may read the task's tensors too, which its
  /// predecessors write (`--compute`): it is called when the task becomes ready.
  bool costed_at_generation(int node) const noexcept {
    return quick_[static_cast<std::size_t>(node)].at_generation;
  }

  Cost of(const engine::TaskRecord& t) const {
    // The common cost, one integer parameter (`param("ns")`), inline from one small per-node
    // record; the rest out of line.
    if (const Quick q = quick_[static_cast<std::size_t>(t.payload.node)]; q.param >= 0) {
      const ScalarValue& v = t.payload.scalars[static_cast<std::size_t>(q.param)];
      if (!v.is_float && v.i >= 0 && v.i <= kMaxCostNs) return Cost{q.core, v.i};
    }
    return of_in_general(t);
  }

 private:
  // of() for any task: a measured cost, an expression evaluated, a cost function called.
  Cost of_in_general(const engine::TaskRecord& t) const;
  // The cost rounded to ns; KernelError naming the kernel when negative, NaN or too large.
  std::int64_t checked_ns(const Kernel& k, double cycles, double extra_ns) const;

  const Plan& plan_;
  const Machine& machine_;
  static constexpr std::int64_t kMaxCostNs = 1'000'000'000'000'000;  ///< 1e15 ns, ~11.6 days

  struct NodeExpr {
    CoreKind core;
    ExprProgram program;
    bool uses_params;
    int param;  ///< the expression is this parameter alone (-1: evaluate the program)
  };
  std::vector<std::optional<Cost>> fixed_;  ///< by kernel: the same cost for every task
  std::vector<double> gm_bytes_;            ///< by kernel: global-memory bytes per task
  bool moves_gm_bytes_ = false;
  std::vector<std::optional<NodeExpr>> exprs_;  ///< by plan node: a cost expression, compiled
  // What of() and costed_at_generation() read per task, by plan node, in 8 bytes.
  struct Quick {
    int param = -1;                    ///< NodeExpr::param
    CoreKind core = CoreKind::Vector;  ///< NodeExpr::core
    bool at_generation = false;        ///< costed_at_generation
  };
  std::vector<Quick> quick_;
};

}  // namespace pto::wsp::sim
