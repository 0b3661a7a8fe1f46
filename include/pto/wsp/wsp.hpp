// The one header a PTO-WSP user includes.
#pragma once

#include "pto/wsp/core/axis.hpp"
#include "pto/wsp/core/dtype.hpp"
#include "pto/wsp/core/error.hpp"
#include "pto/wsp/core/expr.hpp"
#include "pto/wsp/core/expr_program.hpp"
#include "pto/wsp/core/region.hpp"
#include "pto/wsp/core/tensor.hpp"
#include "pto/wsp/kernel/kernel.hpp"
#include "pto/wsp/program.hpp"
#include "pto/wsp/workload/bindings.hpp"
#include "pto/wsp/workload/enumerate.hpp"
#include "pto/wsp/workload/plan.hpp"
#include "pto/wsp/workload/tensor_ref.hpp"
#include "pto/wsp/workload/workload.hpp"
