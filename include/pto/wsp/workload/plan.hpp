// Lowering a workload to a Plan (names resolved, signatures checked, expressions compiled, one
// flat node array) and binding a Plan to run-time values (every table and tensor checked).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pto/wsp/core/expr_program.hpp"
#include "pto/wsp/kernel/kernel.hpp"
#include "pto/wsp/workload/bindings.hpp"
#include "pto/wsp/workload/workload.hpp"

namespace pto::wsp {

struct PlanViewOp {
  ViewOp::Kind kind = ViewOp::Kind::Select;
  int dim = 0;
  ExprProgram begin;
  ExprProgram end;
  std::int64_t step = 1;
};

/// One argument, stored at its parameter's position.
struct PlanArg {
  ParamKind kind = ParamKind::In;
  int tensor = -1;  ///< tensors: index into Plan::tensors
  std::vector<PlanViewOp> view;
  std::string view_text;  ///< for messages: "K[b].slice(0, 64)"
  ExprProgram int_value;  ///< integer scalars
  bool is_float = false;  ///< scalar of a float dtype
  bool float_is_const = false;
  double float_const = 0.0;
};

/// One process of a pipeline (CSP).
struct PlanProcess {
  std::string name;
  int instances = 1;
  int instance_var = -1;  ///< variable slot bound to the instance index
  int body = -1;
  std::vector<int> consumes, produces;  ///< channel indices
};

struct PlanChannel {
  std::string name;
  int depth = 0;
  bool consumed = false;      ///< some consume() reads it
  bool synchronized = false;  ///< some synchronize() waits on it
  int pipeline = -1;          ///< the connect() node it belongs to
};

struct PlanNode {
  NodeKind kind = NodeKind::Task;
  std::string label;  ///< "parallel_for(axis 'b')", "task attn" — names the node in messages
  // Loop
  LoopKind loop = LoopKind::Parallel;
  AxisKind axis = AxisKind::Dense;
  ExprProgram size;             ///< Dense/DenseDyn: the size; Ragged/Sparse: the number of rows
  bool size_uses_vars = false;  ///< the size depends on an enclosing loop variable
  bool has_row = false;
  ExprProgram row;
  int lengths = -1, indptr = -1, indices = -1;  ///< array indices
  int var0 = -1, var1 = -1;                     ///< variable slots
  int body = -1;
  // Cond
  ExprProgram pred;
  int then_branch = -1, else_branch = -1;
  // Combine / Sequential
  std::vector<int> children;
  // CSP: Send (body, or a token of value `int_value`), Consume (body, or synchronize when
  // `once`), Query (then/else branches), Pipeline (processes).
  int channel = -1;  ///< index into Plan::channels
  bool once = false;
  ExprProgram value;
  std::vector<PlanProcess> processes;
  bool has_csp = false;  ///< Loop: its body contains CSP nodes (never generated in chunks)
  // Task
  int kernel = -1;  ///< index into Plan::kernels
  std::vector<int> axis_vars;
  std::vector<std::string> axis_names;  ///< Task: its axes; Loop: the variables it binds
  std::vector<PlanArg> args;            ///< by parameter index
};

/// A lowered workload. Everything that can be checked without run-time values has been.
struct Plan {
  std::vector<PlanNode> nodes;
  int root = -1;
  std::vector<Kernel> kernels;
  std::vector<TensorDecl> tensors;
  std::vector<PlanChannel> channels;
  std::vector<bool> tensor_written;  ///< some task writes the tensor
  std::vector<std::string> symbols, arrays, slots;
  std::vector<std::string> symbol_users, array_users;  ///< first node using each, for messages
  int num_vars = 0;
  std::string type;  ///< Workload::type_string()
};

/// Lowers `workload`; kernels named by string are resolved through `registry`. Throws
/// CompileError / TypeCheckError naming the node, kernel and argument on any malformed input.
Plan lower(const Workload& workload, const KernelRegistry* registry = nullptr);

/// A view made only of selects (`X[b][h]`), compiled once against its bound tensor: resolving it
/// for a task copies `result` and shifts its origin once per index (workload/enumerate.cpp).
struct SelectChain {
  struct Step {
    int op;        ///< index into PlanArg::view (its `begin` computes the index)
    int var = -1;  ///< when that index is a lone loop variable: its slot (read without `begin`)
    int root_dim;
    std::int64_t step;
    std::int64_t extent;
  };
  Tensor result;  ///< the view with index 0 selected at every step (constant indices applied)
  std::vector<Step> steps;
  /// Every index is a lone loop variable: the loop variables alone replay the view.
  bool simple = false;

  /// Writes the view into `out`, step s selecting `index_of(s)`; false when an index falls
  /// outside its extent (resolve_view's general path then reports it). Inline: the generator
  /// replays the views of every task.
  template <class IndexOf>
  bool replay_with(Tensor& out, IndexOf&& index_of) const {
    out.assign(result);
    for (const Step& s : steps) {
      const std::int64_t i = index_of(s);
      if (static_cast<std::uint64_t>(i) >= static_cast<std::uint64_t>(s.extent)) return false;
      out.shift_origin(s.root_dim, i * s.step);
    }
    return true;
  }
  /// replay_with() of a `simple` chain for the loop variables `vars`.
  bool replay(Tensor& out, const std::int64_t* vars) const {
    return replay_with(out, [vars](const Step& s) { return vars[s.var]; });
  }
};

/// The run-time values of one execution, checked against a Plan and laid out by index.
class BoundValues {
 public:
  BoundValues() = default;
  BoundValues(BoundValues&&) = default;
  BoundValues& operator=(BoundValues&&) = default;
  BoundValues(const BoundValues&) = delete;  // `arrays` points into `array_values`
  BoundValues& operator=(const BoundValues&) = delete;

  EvalContext context(const std::int64_t* vars) const noexcept {
    return EvalContext{vars, nullptr, symbols.data(), slots.data(), arrays.data()};
  }

  std::vector<std::int64_t> symbols;
  std::vector<std::vector<std::int64_t>> array_values;
  std::vector<IntArray> arrays;
  std::vector<std::int64_t> slots;
  std::vector<Tensor> tensors;
  /// By plan node, then argument: the argument's view as a SelectChain, where it is one (none for
  /// scalars, views with a slice, or a selected dimension of extent 0). Compiled by `bind` from
  /// `tensors`: values for other tensors are bound by binding again, not by editing `tensors`.
  std::vector<std::vector<std::optional<SelectChain>>> select_chains;
};

/// Binds `bindings` to `plan`: every symbol, array and tensor must be bound, tensors must match
/// their declared dtype and rank (and be writable where written), Ragged lengths must have one
/// non-negative entry per row, Sparse tables must be valid CSR, and sizes that do not depend on a
/// loop variable must be non-negative and their products must fit in 64 bits.
BoundValues bind(const Plan& plan, const Bindings& bindings);

}  // namespace pto::wsp
