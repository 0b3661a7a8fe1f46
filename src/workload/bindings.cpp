// Name -> value maps for the run-time values of a workload.
#include "pto/wsp/workload/bindings.hpp"

#include <fmt/format.h>

#include "pto/wsp/core/error.hpp"

namespace pto::wsp {

Bindings& Bindings::set(std::string name, std::int64_t value) {
  symbols_[std::move(name)] = value;
  return *this;
}

Bindings& Bindings::set_array(std::string name, std::vector<std::int64_t> values) {
  arrays_[std::move(name)] = std::move(values);
  return *this;
}

Bindings& Bindings::set_array_from(std::string name, const Tensor& values) {
  if (values.rank() != 1 || is_float(values.dtype())) {
    throw TypeCheckError(fmt::format("array '{}': expected a rank-1 integer tensor, got {}", name,
                                     values.type_string()));
  }
  std::vector<std::int64_t> out;
  out.reserve(static_cast<std::size_t>(values.numel()));
  const std::byte* base = values.bytes();
  const auto esize = static_cast<std::int64_t>(size_of(values.dtype()));
  for (std::int64_t i = 0; i < values.size(0); ++i) {
    const std::byte* p = base + i * values.stride(0) * esize;
    if (values.dtype() == DType::u64) {
      out.push_back(static_cast<std::int64_t>(*reinterpret_cast<const std::uint64_t*>(p)));
    } else if (values.dtype() == DType::i64) {
      out.push_back(*reinterpret_cast<const std::int64_t*>(p));
    } else {
      out.push_back(static_cast<std::int64_t>(load_as_double(p, values.dtype(), 0)));
    }
  }
  return set_array(std::move(name), std::move(out));
}

Bindings& Bindings::set_slot(std::string name, std::int64_t value) {
  slots_[std::move(name)] = value;
  return *this;
}

Bindings& Bindings::set_tensor(std::string name, Tensor value) {
  if (!value.defined()) {
    throw CompileError(fmt::format("tensor '{}': bound to an undefined tensor", name));
  }
  tensors_[std::move(name)] = std::move(value);
  return *this;
}

namespace {
template <typename Map>
auto* find_in(const Map& m, std::string_view name) {
  auto it = m.find(name);
  return it == m.end() ? nullptr : &it->second;
}
}  // namespace

const std::int64_t* Bindings::symbol(std::string_view name) const noexcept {
  return find_in(symbols_, name);
}
const std::vector<std::int64_t>* Bindings::array(std::string_view name) const noexcept {
  return find_in(arrays_, name);
}
const std::int64_t* Bindings::slot(std::string_view name) const noexcept {
  return find_in(slots_, name);
}
const Tensor* Bindings::tensor(std::string_view name) const noexcept {
  return find_in(tensors_, name);
}

}  // namespace pto::wsp
