// Kernel signatures, argument access for implementations, and the registry.
#include "pto/wsp/kernel/kernel.hpp"

#include <algorithm>
#include <array>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "pto/wsp/core/error.hpp"
#include "pto/wsp/core/expr_program.hpp"

namespace pto::wsp {

std::string_view name_of(ParamKind kind) noexcept {
  switch (kind) {
    case ParamKind::In:
      return "In";
    case ParamKind::Out:
      return "Out";
    case ParamKind::InOut:
      return "InOut";
    case ParamKind::Scalar:
      return "Scalar";
  }
  return "?";
}

std::string ParamSpec::to_string() const {
  std::string type = dtype ? std::string(pto::wsp::name_of(*dtype)) : std::string("any");
  if (kind != ParamKind::Scalar && rank >= 0) type += fmt::format("[rank {}]", rank);
  return fmt::format("{} {}: {}", name_of(kind), name, type);
}

namespace {
ParamSpec tensor_param(std::string name, ParamKind kind, std::optional<DType> dtype, int rank) {
  if (rank < -1 || rank > kMaxRank) {
    throw CompileError(fmt::format("{} parameter '{}': rank {} is outside [0, {}]", name_of(kind),
                                   name, rank, kMaxRank));
  }
  return ParamSpec{std::move(name), kind, dtype, rank};
}
}  // namespace

ParamSpec In(std::string name, std::optional<DType> dtype, int rank) {
  return tensor_param(std::move(name), ParamKind::In, dtype, rank);
}
ParamSpec Out(std::string name, std::optional<DType> dtype, int rank) {
  return tensor_param(std::move(name), ParamKind::Out, dtype, rank);
}
ParamSpec InOut(std::string name, std::optional<DType> dtype, int rank) {
  return tensor_param(std::move(name), ParamKind::InOut, dtype, rank);
}
ParamSpec Scalar(std::string name, DType dtype) {
  return ParamSpec{std::move(name), ParamKind::Scalar, dtype, -1};
}

KernelSignature::KernelSignature(std::string name, std::vector<ParamSpec> params)
    : name_(std::move(name)), params_(std::move(params)) {
  if (name_.empty()) throw CompileError("kernel: the name must not be empty");
  std::set<std::string_view> seen;
  for (const ParamSpec& p : params_) {
    if (p.name.empty()) {
      throw CompileError(fmt::format("kernel '{}': a parameter has an empty name", name_));
    }
    if (!seen.insert(p.name).second) {
      throw CompileError(
          fmt::format("kernel '{}': parameter '{}' is declared twice", name_, p.name));
    }
    if (p.kind == ParamKind::Scalar && !p.dtype) {
      throw CompileError(
          fmt::format("kernel '{}': scalar parameter '{}' needs a dtype", name_, p.name));
    }
  }
}

std::string KernelSignature::to_string() const {
  std::vector<std::string> parts;
  for (const ParamSpec& p : params_) parts.push_back(p.to_string());
  return fmt::format("{}({})", name_, fmt::join(parts, ", "));
}

int TaskArgs::index_of(std::string_view name, bool want_tensor) const {
  const int i = sig_->find(name);
  if (i < 0) {
    throw KernelError(fmt::format("kernel '{}' has no parameter '{}'", sig_->name(), name));
  }
  const bool is_tensor = sig_->params()[i].kind != ParamKind::Scalar;
  if (is_tensor != want_tensor) {
    throw KernelError(fmt::format("kernel '{}': parameter '{}' is a {}, not a {}", sig_->name(),
                                  name, is_tensor ? "tensor" : "scalar",
                                  want_tensor ? "tensor" : "scalar"));
  }
  return i;
}

const Tensor& TaskArgs::tensor(int index) const {
  if (index < 0 || index >= static_cast<int>(tensors_.size()) ||
      sig_->params()[index].kind == ParamKind::Scalar) {
    throw KernelError(
        fmt::format("kernel '{}': parameter {} is not a tensor parameter", sig_->name(), index));
  }
  return tensors_[index];
}
const ScalarValue& TaskArgs::scalar(int index) const {
  if (index < 0 || index >= static_cast<int>(scalars_.size()) ||
      sig_->params()[index].kind != ParamKind::Scalar) {
    throw KernelError(
        fmt::format("kernel '{}': parameter {} is not a scalar parameter", sig_->name(), index));
  }
  return scalars_[index];
}
std::int64_t TaskArgs::axis(std::string_view name) const {
  for (const AxisValue& a : axes_) {
    if (a.name == name) return a.value;
  }
  throw KernelError(fmt::format("task of kernel '{}' has no axis '{}'", sig_->name(), name));
}

const char* to_string(CoreKind kind) noexcept {
  return kind == CoreKind::Cube ? "cube" : "vector";
}

Kernel::Kernel(KernelSignature signature, KernelFn fn, CostFn cost,
               std::shared_ptr<const pto::TileProgram> program)
    : impl_(std::make_shared<const Impl>(Impl{std::move(signature), std::move(fn), std::move(cost),
                                              std::move(program), std::nullopt})) {
  if (!impl_->fn) {
    throw CompileError(
        fmt::format("kernel '{}': no implementation given", impl_->signature.name()));
  }
}

Kernel Kernel::with_cost(CostFn cost) const {
  if (!cost)
    throw CompileError(fmt::format("kernel '{}': with_cost(): empty cost function", name()));
  return Kernel(impl_->signature, impl_->fn, std::move(cost), impl_->program);
}

namespace {

// Resolves a cost expression against a kernel alone: parameters by signature index, axes by name
// in order of first use (a task supplies them by name when cost() is called).
class KernelCostScope final : public ExprScope {
 public:
  explicit KernelCostScope(const KernelSignature& sig) : sig_(sig) {}
  int var_index(const VarDecl& var) override {
    const auto it = std::find(axes.begin(), axes.end(), var.name);
    if (it != axes.end()) return static_cast<int>(it - axes.begin());
    axes.push_back(var.name);
    return static_cast<int>(axes.size()) - 1;
  }
  int param_index(std::string_view name) override {
    return cost_expr_param_index(sig_, name, "with_cost()");
  }
  int symbol_index(std::string_view name) override { return refuse("symbol", name); }
  int slot_index(std::string_view name) override { return refuse("slot", name); }
  int array_index(std::string_view name) override { return refuse("array", name); }

  std::vector<std::string> axes;

 private:
  int refuse(const char* what, std::string_view name) const {
    throw CompileError(fmt::format(
        "kernel '{}': with_cost(): the cost may read only the kernel's scalar parameters, the "
        "task's axes and constants, not {} '{}'",
        sig_.name(), what, name));
  }
  const KernelSignature& sig_;
};

}  // namespace

int cost_expr_param_index(const KernelSignature& sig, std::string_view name,
                          std::string_view where) {
  const int i = sig.find(name);
  if (i < 0 || sig.params()[static_cast<std::size_t>(i)].kind != ParamKind::Scalar) {
    throw CompileError(fmt::format("kernel '{}': {}: param({}) is not a scalar parameter of {}",
                                   sig.name(), where, name, sig.to_string()));
  }
  if (sig.params().size() > static_cast<std::size_t>(kMaxCostExprParams)) {
    throw CompileError(fmt::format(
        "kernel '{}': {}: a cost expression reads parameters of kernels of at most {} parameters",
        sig.name(), where, kMaxCostExprParams));
  }
  return i;
}

Kernel Kernel::with_cost(CoreKind core, Expr ns) const {
  KernelCostScope scope(impl_->signature);
  auto program = std::make_shared<const ExprProgram>(ExprProgram::compile(ns, scope));
  if (scope.axes.size() > static_cast<std::size_t>(kMaxCostExprAxes)) {
    throw CompileError(fmt::format("kernel '{}': with_cost(): the cost reads more than {} axes",
                                   name(), kMaxCostExprAxes));
  }
  // cost(): the same expression, the axes looked up by name in the task's.
  CostFn fn = [program, axes = scope.axes, core](const TaskArgs& a) {
    std::array<std::int64_t, kMaxCostExprAxes> vars{};
    for (std::size_t i = 0; i < axes.size(); ++i) vars[i] = a.axis(axes[i]);
    std::array<std::int64_t, kMaxCostExprParams> params{};
    const auto& specs = a.signature().params();
    for (std::size_t i = 0; i < specs.size() && i < params.size(); ++i) {
      if (specs[i].kind == ParamKind::Scalar) params[i] = a.scalar(static_cast<int>(i)).as_int();
    }
    const EvalContext ctx{vars.data(), params.data(), nullptr, nullptr, nullptr};
    return KernelCost{core, 0.0, static_cast<double>(program->evaluate(ctx))};
  };
  Kernel k = *this;
  auto impl = std::make_shared<Impl>(*impl_);
  impl->cost = std::move(fn);
  impl->cost_expr = CostExpr{core, std::move(ns)};
  k.impl_ = std::move(impl);
  return k;
}

Kernel make_kernel(std::string name, std::vector<ParamSpec> params, KernelFn fn) {
  return Kernel(KernelSignature(std::move(name), std::move(params)), std::move(fn));
}

void KernelRegistry::add(Kernel kernel) {
  const std::string name = kernel.name();
  if (!kernels_.emplace(name, std::move(kernel)).second) {
    throw CompileError(
        fmt::format("KernelRegistry: a kernel named '{}' is already registered", name));
  }
}

const Kernel* KernelRegistry::find(std::string_view name) const noexcept {
  auto it = kernels_.find(name);
  return it == kernels_.end() ? nullptr : &it->second;
}

std::vector<std::string> KernelRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& [name, k] : kernels_) out.push_back(name);
  return out;
}

}  // namespace pto::wsp
