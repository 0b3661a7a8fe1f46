// The run-time values of a workload: symbols, integer arrays (ragged lengths, CSR tables), slots
// and tensors, bound by name before each execution.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pto/wsp/core/tensor.hpp"

namespace pto::wsp {

class Bindings {
 public:
  Bindings& set(std::string name, std::int64_t value);
  Bindings& set_array(std::string name, std::vector<std::int64_t> values);
  /// Copies an integer tensor of rank 1 (any integer dtype) into an array.
  Bindings& set_array_from(std::string name, const Tensor& values);
  /// Initial value of a slot (slots not bound start at 0).
  Bindings& set_slot(std::string name, std::int64_t value);
  Bindings& set_tensor(std::string name, Tensor value);

  const std::int64_t* symbol(std::string_view name) const noexcept;
  const std::vector<std::int64_t>* array(std::string_view name) const noexcept;
  const std::int64_t* slot(std::string_view name) const noexcept;
  const Tensor* tensor(std::string_view name) const noexcept;

 private:
  std::map<std::string, std::int64_t, std::less<>> symbols_;
  std::map<std::string, std::vector<std::int64_t>, std::less<>> arrays_;
  std::map<std::string, std::int64_t, std::less<>> slots_;
  std::map<std::string, Tensor, std::less<>> tensors_;
};

}  // namespace pto::wsp
