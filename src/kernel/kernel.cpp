// Kernel signatures, argument access for implementations, and the registry.
#include "pto/wsp/kernel/kernel.hpp"

#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "pto/wsp/core/error.hpp"

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
    : impl_(std::make_shared<const Impl>(
          Impl{std::move(signature), std::move(fn), std::move(cost), std::move(program)})) {
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
