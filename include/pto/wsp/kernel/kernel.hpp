// Kernel declarations: a name, a typed signature and a C++ implementation; and the registry that
// resolves kernels named by string (as the Python frontend and serialized IR do).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pto/wsp/core/dtype.hpp"
#include "pto/wsp/core/expr.hpp"
#include "pto/wsp/core/tensor.hpp"

namespace pto {
class TileProgram;
}

namespace pto::wsp {

enum class ParamKind : std::uint8_t { In, Out, InOut, Scalar };

std::string_view name_of(ParamKind kind) noexcept;
inline bool reads(ParamKind k) noexcept {
  return k == ParamKind::In || k == ParamKind::InOut;
}
inline bool writes(ParamKind k) noexcept {
  return k == ParamKind::Out || k == ParamKind::InOut;
}

/// One parameter of a kernel. Tensor parameters may pin a dtype and a rank; scalar parameters
/// carry an integer or floating dtype (i64 by default).
struct ParamSpec {
  std::string name;
  ParamKind kind = ParamKind::In;
  std::optional<DType> dtype;  ///< unset: any dtype (tensors only)
  int rank = -1;               ///< -1: any rank (tensors only)
  /// "In Q: f32[rank 2]", "Scalar scale: f32".
  std::string to_string() const;
};

ParamSpec In(std::string name, std::optional<DType> dtype = std::nullopt, int rank = -1);
ParamSpec Out(std::string name, std::optional<DType> dtype = std::nullopt, int rank = -1);
ParamSpec InOut(std::string name, std::optional<DType> dtype = std::nullopt, int rank = -1);
ParamSpec Scalar(std::string name, DType dtype = DType::i64);

/// A scalar argument as a kernel receives it.
struct ScalarValue {
  bool is_float = false;
  std::int64_t i = 0;
  double f = 0.0;
  double as_double() const noexcept { return is_float ? f : static_cast<double>(i); }
  std::int64_t as_int() const noexcept { return is_float ? static_cast<std::int64_t>(f) : i; }
  bool operator==(const ScalarValue&) const = default;
};

/// A name -> value pair of an axis variable of a task.
struct AxisValue {
  std::string_view name;
  std::int64_t value;
  bool operator==(const AxisValue&) const = default;
};

class KernelSignature {
 public:
  KernelSignature(std::string name, std::vector<ParamSpec> params);
  const std::string& name() const noexcept { return name_; }
  const std::vector<ParamSpec>& params() const noexcept { return params_; }
  /// Index of the parameter called `name`, or -1.
  int find(std::string_view name) const noexcept {  // inline: kernels call it once per task
    for (std::size_t i = 0; i < params_.size(); ++i) {
      if (params_[i].name == name) return static_cast<int>(i);
    }
    return -1;
  }
  /// "attn(In Q: f32, In K: f32, Out O: f32, Scalar scale: f32)".
  std::string to_string() const;

 private:
  std::string name_;
  std::vector<ParamSpec> params_;
};

/// What a kernel implementation receives: the task's bound views and scalars, in signature order,
/// and its axis values.
class TaskArgs {
 public:
  TaskArgs(const KernelSignature& sig, std::span<const Tensor> tensors,
           std::span<const ScalarValue> scalars, std::span<const AxisValue> axes)
      : sig_(&sig), tensors_(tensors), scalars_(scalars), axes_(axes) {}

  /// The view bound to parameter `index` (a tensor parameter).
  const Tensor& tensor(int index) const;
  const Tensor& tensor(std::string_view name) const {
    const int i = sig_->find(name);
    if (i >= 0 && sig_->params()[static_cast<std::size_t>(i)].kind != ParamKind::Scalar) {
      return tensors_[static_cast<std::size_t>(i)];
    }
    return tensors_[static_cast<std::size_t>(index_of(name, true))];  // throws
  }
  const ScalarValue& scalar(int index) const;
  const ScalarValue& scalar(std::string_view name) const {
    const int i = sig_->find(name);
    if (i >= 0 && sig_->params()[static_cast<std::size_t>(i)].kind == ParamKind::Scalar) {
      return scalars_[static_cast<std::size_t>(i)];
    }
    return scalars_[static_cast<std::size_t>(index_of(name, false))];  // throws
  }
  std::int64_t axis(std::string_view name) const;
  std::span<const AxisValue> axes() const noexcept { return axes_; }
  const KernelSignature& signature() const noexcept { return *sig_; }

 private:
  int index_of(std::string_view name, bool want_tensor) const;
  const KernelSignature* sig_;
  std::span<const Tensor> tensors_;       ///< by parameter index; scalars leave a hole
  std::span<const ScalarValue> scalars_;  ///< by parameter index; tensors leave a hole
  std::span<const AxisValue> axes_;
};

using KernelFn = std::function<void(const TaskArgs&)>;

/// The kinds of core of the NPU model: matmul work runs on cube cores, the rest on vector cores.
enum class CoreKind : std::uint8_t { Vector = 0, Cube = 1 };
const char* to_string(CoreKind kind) noexcept;

/// What one task of a kernel costs on the NPU model: `cycles` at the machine's clock plus `ns`
/// of fixed time, on one core of kind `core`.
struct KernelCost {
  CoreKind core = CoreKind::Vector;
  double cycles = 0.0;
  double ns = 0.0;
};

/// A kernel's cost as a function of its task's arguments (sizes of views, scalars, axes).
using CostFn = std::function<KernelCost(const TaskArgs&)>;

/// A kernel's cost written as an expression (Kernel::with_cost(core, ns)): `ns` nanoseconds on
/// one core of kind `core`.
struct CostExpr {
  CoreKind core = CoreKind::Vector;
  Expr ns = 0;
};

/// Kernels whose cost expression reads parameters have at most this many parameters.
inline constexpr int kMaxCostExprParams = 32;
/// A cost expression reads at most this many distinct axes (a task has at most 8).
inline constexpr int kMaxCostExprAxes = 8;

/// The index of `name` for a cost expression's `param(name)`: CompileError ("kernel 'k': WHERE:
/// param(x) is not a scalar parameter of ...") unless it names a scalar parameter of `sig`, a
/// kernel of at most kMaxCostExprParams parameters.
int cost_expr_param_index(const KernelSignature& sig, std::string_view name,
                          std::string_view where);

/// A declared kernel: its signature, implementation and (optionally) its cost on the NPU model.
/// Cheap to copy (shared).
class Kernel {
 public:
  Kernel(KernelSignature signature, KernelFn fn, CostFn cost = nullptr,
         std::shared_ptr<const pto::TileProgram> program = nullptr);
  const KernelSignature& signature() const noexcept { return impl_->signature; }
  const std::string& name() const noexcept { return impl_->signature.name(); }
  const KernelFn& fn() const noexcept { return impl_->fn; }
  /// Empty when the kernel declares no cost (the sim backend then needs one from its machine
  /// description).
  const CostFn& cost() const noexcept { return impl_->cost; }
  /// The same kernel with a cost function (a new declaration); it takes precedence over the
  /// cost of the kernel's tile program.
  Kernel with_cost(CostFn cost) const;
  /// The same kernel with its cost written as an integer expression: each task costs `ns`
  /// nanoseconds on a `core` core, where `ns` may read the kernel's scalar parameters
  /// (`param("cost_ns")`, floats truncated), the task's axes (a `Var` named like one of the task's
  /// loop variables) and constants. Backends compile it once per task node (the sim backend then
  /// costs a task without a call into C++); cost() evaluates the same expression. CompileError
  /// here for a `param` that is not a scalar parameter of the kernel, a symbol, slot or array, or
  /// (reading params) a kernel of more than kMaxCostExprParams parameters; a task node without an
  /// axis it reads is a CompileError of the sim backend.
  Kernel with_cost(CoreKind core, Expr ns) const;
  /// The cost expression, when the cost was given as one (cost() is then its evaluation).
  const std::optional<CostExpr>& cost_expr() const noexcept { return impl_->cost_expr; }
  /// The tile program the kernel was written as (pto/wsp/tile/tile_kernel.hpp), or null. The sim
  /// backend costs it with the machine's tile cost model when the kernel has no cost function.
  const std::shared_ptr<const pto::TileProgram>& tile_program() const noexcept {
    return impl_->program;
  }
  /// Identity of the declaration.
  const void* id() const noexcept { return impl_.get(); }

 private:
  struct Impl {
    KernelSignature signature;
    KernelFn fn;
    CostFn cost;
    std::shared_ptr<const pto::TileProgram> program;
    std::optional<CostExpr> cost_expr;
  };
  std::shared_ptr<const Impl> impl_;
};

/// Declares a kernel: make_kernel("attn", {In("Q", DType::f32), Out("O")}, fn).
Kernel make_kernel(std::string name, std::vector<ParamSpec> params, KernelFn fn);

/// Kernels by name, for workloads that name their kernels instead of holding them.
class KernelRegistry {
 public:
  /// Adds a kernel; a second kernel with the same name raises CompileError.
  void add(Kernel kernel);
  const Kernel* find(std::string_view name) const noexcept;
  std::vector<std::string> names() const;

 private:
  std::map<std::string, Kernel, std::less<>> kernels_;
};

}  // namespace pto::wsp
