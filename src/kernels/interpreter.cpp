#include "pto/wsp/tile/interpreter.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <new>

#include "kernels/compute.hpp"
#include "pto/wsp/core/error.hpp"

namespace pto {
namespace {

constexpr std::align_val_t kAlign{64};

struct AlignedDelete {
  void operator()(std::byte* p) const { ::operator delete[](p, kAlign); }
};
using Buffer = std::unique_ptr<std::byte[], AlignedDelete>;

}  // namespace

struct Interpreter::Frame {
  std::vector<Buffer> buffers;          ///< by slot
  std::vector<detail::TileRef> values;  ///< by value id: points into its slot's buffer
  detail::Scratch scratch;
};

Interpreter::Interpreter(std::shared_ptr<const TileProgram> program)
    : program_(std::move(program)) {
  if (!program_) throw wsp::CompileError("Interpreter: no program");
  const auto& values = program_->values();
  const auto& body = program_->body();
  // Liveness: the last instruction that reads each value (its definition when nobody does).
  std::vector<int> last_use(values.size(), -1);
  for (int i = 0; i < static_cast<int>(body.size()); ++i) {
    const Instr& in = body[static_cast<std::size_t>(i)];
    for (int v : {in.result, in.result2})
      if (v >= 0) last_use[static_cast<std::size_t>(v)] = i;
    for (int v : {in.a, in.b, in.c})
      if (v >= 0) last_use[static_cast<std::size_t>(v)] = i;
  }
  // Greedy slot assignment in program order. Results get slots before the operands that die at
  // the same instruction are freed, so no op writes over its own inputs.
  slot_of_.assign(values.size(), -1);
  std::vector<int> free_slots;
  auto take = [&](int value) {
    const std::int64_t bytes = values[static_cast<std::size_t>(value)].bytes();
    int best = -1;
    for (std::size_t f = 0; f < free_slots.size(); ++f) {
      const int s = free_slots[f];
      // Prefer the smallest slot that fits; else the largest, which then grows.
      if (best < 0) {
        best = static_cast<int>(f);
        continue;
      }
      const int b = free_slots[static_cast<std::size_t>(best)];
      const bool fits = slot_bytes_[static_cast<std::size_t>(s)] >= bytes;
      const bool best_fits = slot_bytes_[static_cast<std::size_t>(b)] >= bytes;
      if ((fits && (!best_fits || slot_bytes_[static_cast<std::size_t>(s)] <
                                      slot_bytes_[static_cast<std::size_t>(b)])) ||
          (!fits && !best_fits &&
           slot_bytes_[static_cast<std::size_t>(s)] > slot_bytes_[static_cast<std::size_t>(b)]))
        best = static_cast<int>(f);
    }
    int slot;
    if (best >= 0) {
      slot = free_slots[static_cast<std::size_t>(best)];
      free_slots.erase(free_slots.begin() + best);
    } else {
      slot = static_cast<int>(slot_bytes_.size());
      slot_bytes_.push_back(0);
    }
    slot_bytes_[static_cast<std::size_t>(slot)] =
        std::max(slot_bytes_[static_cast<std::size_t>(slot)], bytes);
    slot_of_[static_cast<std::size_t>(value)] = slot;
  };
  for (int i = 0; i < static_cast<int>(body.size()); ++i) {
    const Instr& in = body[static_cast<std::size_t>(i)];
    for (int v : {in.result, in.result2})
      if (v >= 0) take(v);
    for (int v : {in.a, in.b, in.c, in.result, in.result2})
      if (v >= 0 && last_use[static_cast<std::size_t>(v)] == i &&
          std::find(free_slots.begin(), free_slots.end(), slot_of_[static_cast<std::size_t>(v)]) ==
              free_slots.end())
        free_slots.push_back(slot_of_[static_cast<std::size_t>(v)]);
  }
}

Interpreter::~Interpreter() = default;

std::unique_ptr<Interpreter::Frame> Interpreter::acquire() {
  {
    std::lock_guard lock(pool_mutex_);
    if (!pool_.empty()) {
      auto f = std::move(pool_.back());
      pool_.pop_back();
      return f;
    }
  }
  auto f = std::make_unique<Frame>();
  for (std::int64_t bytes : slot_bytes_)
    f->buffers.emplace_back(static_cast<std::byte*>(
        ::operator new[](static_cast<std::size_t>(std::max<std::int64_t>(bytes, 1)), kAlign)));
  const auto& values = program_->values();
  f->values.resize(values.size());
  for (std::size_t v = 0; v < values.size(); ++v) {
    const int slot = slot_of_[v];
    f->values[v].type = values[v];
    f->values[v].data = slot >= 0 ? f->buffers[static_cast<std::size_t>(slot)].get() : nullptr;
  }
  return f;
}

void Interpreter::release(std::unique_ptr<Frame> frame) {
  std::lock_guard lock(pool_mutex_);
  pool_.push_back(std::move(frame));
}

void Interpreter::run(const wsp::TaskArgs& args) {
  std::unique_ptr<Frame> frame = acquire();
  struct Return {
    Interpreter* self;
    std::unique_ptr<Frame>& frame;
    ~Return() { self->release(std::move(frame)); }
  } give_back{this, frame};
  auto& v = frame->values;
  const auto& params = program_->params();
  auto val = [&](int id) { return id >= 0 ? &v[static_cast<std::size_t>(id)] : nullptr; };
  for (const Instr& in : program_->body()) {
    switch (in.op) {
      case OpCode::Load:
        detail::load_tile(args.tensor(in.param), in.row0, in.col0,
                          v[static_cast<std::size_t>(in.result)],
                          params[static_cast<std::size_t>(in.param)].name);
        break;
      case OpCode::Store:
        detail::store_tile(v[static_cast<std::size_t>(in.a)], args.tensor(in.param), in.row0,
                           in.col0, params[static_cast<std::size_t>(in.param)].name);
        break;
      default: {
        const double scalar = in.scalar.is_param()
                                  ? args.scalar(in.scalar.param_index()).as_double()
                                  : in.scalar.value();
        detail::compute(in, val(in.a), val(in.b), val(in.c), v[static_cast<std::size_t>(in.result)],
                        val(in.result2), scalar, frame->scratch);
      }
    }
  }
}

}  // namespace pto
