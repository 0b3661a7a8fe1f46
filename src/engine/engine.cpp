// The engine core: task/group records, structural and data dependencies, the task window.
#include "engine/engine.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "engine/dispatcher.hpp"
#include "pto/wsp/core/error.hpp"

namespace pto::wsp::engine {
namespace {

constexpr std::size_t kMaxGroupChunks = 1 << 16;

// Bound tensors whose storage bytes overlap form one alias class; a class with a single
// injective root compares root coordinates, any other compares bytes.
std::vector<int> alias_spaces(const BoundValues& values, std::vector<bool>& exact) {
  struct Span {
    std::uintptr_t lo, hi;
    const RootLayout* root;
    int tensor;
  };
  std::vector<Span> spans;
  for (std::size_t i = 0; i < values.tensors.size(); ++i) {
    const RootLayout* root = values.tensors[i].root();
    const auto lo = reinterpret_cast<std::uintptr_t>(root->storage->data());
    spans.push_back(
        {lo, lo + std::max<std::size_t>(root->storage->bytes(), 1), root, static_cast<int>(i)});
  }
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) { return a.lo < b.lo; });
  std::vector<int> space(values.tensors.size(), -1);
  exact.clear();
  std::uintptr_t class_hi = 0;
  const RootLayout* class_root = nullptr;
  for (const Span& s : spans) {
    if (exact.empty() || s.lo >= class_hi) {
      exact.push_back(s.root->injective);
      class_hi = s.hi;
      class_root = s.root;
    } else {
      class_hi = std::max(class_hi, s.hi);
      if (s.root != class_root) exact.back() = false;
    }
    space[static_cast<std::size_t>(s.tensor)] = static_cast<int>(exact.size()) - 1;
  }
  return space;
}

}  // namespace

namespace {
// Records to reserve for a window: a slot is a 32-bit index below kNone.
std::size_t record_capacity(std::int64_t window) {
  if (window < 1) return 0;  // rejected below
  return static_cast<std::size_t>(std::min<std::int64_t>(window, kNone));
}

// The records of a window, in one reservation. A window whose records do not fit the address
// space this process may reserve (a sanitizer's or valgrind's layout, strict overcommit
// accounting) gets the largest reservation that does, halving down to kMinRecords: such a window
// (hundreds of millions of tasks in flight, ~400 bytes each) is a way to say "no limit".
ReservedArray<TaskRecord> reserve_records(std::int64_t window) {
  constexpr std::size_t kMinRecords = std::size_t{1} << 16;
  for (std::size_t capacity = record_capacity(window);; capacity /= 2) {
    try {
      return ReservedArray<TaskRecord>(capacity);
    } catch (const std::bad_alloc&) {
      if (capacity / 2 < std::min(kMinRecords, record_capacity(window))) {
        throw ScheduleError(fmt::format(
            "TaskWindow({}): cannot reserve address space for {} task records of {} bytes", window,
            capacity, sizeof(TaskRecord)));
      }
    }
  }
}
}  // namespace

Engine::Engine(const Plan& plan, EngineOptions options)
    : plan_(plan),
      options_(options),
      records_(reserve_records(options.window)),
      accesses_(plan_accesses(plan)) {
  if (options_.single_thread && options_.generators > 1) {
    throw InternalError("Engine: several generators need an engine shared between threads");
  }
  if (options_.window < 1) {
    throw ScheduleError(
        fmt::format("TaskWindow({}): the window must hold at least one task", options_.window));
  }
  groups_.reserve(kMaxGroupChunks);
}

Engine::~Engine() = default;

void Engine::start(const BoundValues& values) {
  values_ = &values;
  {
    std::lock_guard<std::mutex> lock(split_mu_);
    split_.reset();
    split_active_.store(false, std::memory_order_relaxed);
  }
  // Every record is free again; capacity is kept.
  free_slots_.clear();
  for (auto s = static_cast<std::uint32_t>(records_.made()); s-- > 0;) {
    TaskRecord& t = task(s);
    t.successors.clear();
    t.done = false;
    t.id = kNoTask;
    t.index_keys.clear();
    free_slots_.push_back(s);
  }
  free_groups_.clear();
  for (std::size_t c = groups_.size(); c-- > 0;) {
    for (std::uint32_t k = kChunkMask + 1; k-- > 0;) {
      GroupRecord& g = groups_[c][k];
      g.successors.clear();
      g.done = false;
      ++g.serial;
      free_groups_.push_back(static_cast<std::uint32_t>(c << kChunkBits) | k);
    }
  }
  {
    MaybeLock lock(retired_lock_, shared());
    retired_.clear();
  }
  chains_.clear();
  group_stack_.clear();
  gate_stack_.clear();
  gate_marks_.clear();
  gate_floor_ = 0;
  gate_epoch_ = 0;
  contexts_.assign(1, Context{});
  contexts_[0].in_use = true;
  current_context_ = 0;
  next_id_ = 0;
  if (options_.dispatcher) options_.dispatcher->start(values);
  placer_ = options_.dispatcher && !options_.dispatcher->trivial() ? options_.dispatcher : nullptr;
  std::vector<bool> exact;
  tensor_space_ = alias_spaces(values, exact);
  // Accesses that can have no conflict are not tracked at all: those to a space no task writes
  // (read-only inputs, unless they alias something written), and those to a space whose every
  // pair of tasks touching one element is already ordered by the structure (a grid writing
  // out[b][t]; init, KV tiles and norm on s[b][h]) — given a layout without self-aliasing,
  // which `exact` (one injective root) says.
  space_tracked_.assign(exact.size(), 0);
  for (std::size_t i = 0; i < tensor_space_.size(); ++i)
    if (plan_.tensor_written[i]) space_tracked_[static_cast<std::size_t>(tensor_space_[i])] = 1;
  std::vector<std::vector<const PlanAccess*>> by_space(exact.size());
  for (const PlanAccess& a : accesses_) {
    by_space[static_cast<std::size_t>(tensor_space_[static_cast<std::size_t>(a.tensor)])].push_back(
        &a);
  }
  for (std::size_t space = 0; space < by_space.size(); ++space) {
    if (space_tracked_[space] && ordered_or_disjoint(plan_, by_space[space], exact[space])) {
      space_tracked_[space] = 0;
    }
  }
  node_tracked_.assign(plan_.nodes.size(), 0);
  tracking_ = false;
  for (const PlanAccess& a : accesses_) {
    if (space_tracked_[static_cast<std::size_t>(
            tensor_space_[static_cast<std::size_t>(a.tensor)])]) {
      node_tracked_[static_cast<std::size_t>(a.node)] = 1;
      tracking_ = true;
    }
  }
  index_.reset(std::move(exact));
  views_read_ = options_.views_read;
  for (std::size_t i = 0; i < views_read_.size(); ++i) views_read_[i] |= node_tracked_[i];
  generator_ = std::make_unique<Generator>(
      plan_, values,
      GeneratorOptions{.splittable = options_.generators > 1,
                       .inline_chains = options_.single_thread,
                       .views_read = views_read_.empty() ? nullptr : &views_read_});
}

// Inlined into its callers (all in this file): once per task.
[[gnu::always_inline]] inline std::uint32_t Engine::allocate_slot() {
  if (!free_slots_.empty()) {
    const std::uint32_t s = free_slots_.back();
    free_slots_.pop_back();
    return s;
  }
  return new_slot();
}

// Out of line: a record is made at most once per slot of the window, and the allocation would
// otherwise cost every caller of allocate_slot its register saves.
std::uint32_t Engine::new_slot() {
  const std::size_t slot = records_.made();
  if (slot >= records_.capacity()) return kNone;
  records_.make_next();
  return static_cast<std::uint32_t>(slot);
}

void Engine::reclaim() {
  {
    MaybeLock lock(retired_lock_, shared());
    retired_scratch_.swap(retired_);
  }
  for (RecordRef r : retired_scratch_) {
    if (r & kGroupBit) {
      GroupRecord& g = group(r & ~kGroupBit);
      ++g.serial;  // gates that still name it now read it as done
      g.done = false;
      g.successors.clear();
      free_groups_.push_back(r & ~kGroupBit);
    } else {
      TaskRecord& t = task(r);
      if (tracking_ && !t.index_keys.empty()) {  // not read otherwise: a cold line
        index_.erase(t.id, t.index_keys);
        t.index_keys.clear();
      }
      // Gates that still name this slot compare ids: a freed record must match none of them
      // (it stays `done` until the next task is committed into it).
      t.id = kNoTask;
      free_slots_.push_back(r);
    }
  }
  retired_scratch_.clear();
}

GenerateResult Engine::generate(std::int64_t budget, std::int64_t now_ns,
                                std::vector<std::uint32_t>& ready, std::int64_t ns_per_task,
                                std::vector<std::uint32_t>* waiting) {
  now_ns_ = now_ns;
  ns_per_task_ = ns_per_task;
  ready_out_.attach(&ready);
  waiting_out_.attach(waiting);
  struct ClearOutputs {  // the caller's lists are not kept past this call, even when it throws
    Engine& e;
    ~ClearOutputs() {
      e.ready_out_.detach();
      e.waiting_out_.detach();
    }
  } clear_outputs{*this};
  GenerateResult out;
  while (out.tasks < budget && !out.window_full) {
    if (split_) {
      std::shared_ptr<ChunkJob> job = split_->head();
      if (!job) {  // every chunk replayed: the main generator resumes after the loop
        std::lock_guard<std::mutex> lock(split_mu_);
        split_.reset();
        split_active_.store(false, std::memory_order_relaxed);
        continue;
      }
      bool finished;
      {
        std::lock_guard<std::mutex> lock(job->mu);
        finished = replay_chunk(*job, budget, out);
      }
      if (!finished) break;
      split_->pop_head();
      continue;
    }
    out.tasks += generator_->run(*this, budget - out.tasks);
    out.window_full = generator_->blocked();
    if (!split_) break;  // budget, window or the end; otherwise the loop was just split
  }
  out.exhausted = generator_->done() && !split_;
  if (out.window_full && options_.window_mode == WindowMode::Abort) {
    throw ExecutionError(fmt::format(
        "TaskWindow({}, ABORT): task {} would exceed the window of {} tasks generated but not "
        "finished{}",
        options_.window, next_id_, records_.capacity(),
        records_.capacity() < static_cast<std::uint64_t>(options_.window)
            ? " (the most this process could reserve address space for)"
            : ""));
  }
  return out;
}

bool Engine::replay_chunk(ChunkJob& job, std::int64_t budget, GenerateResult& out) {
  std::size_t payload = 0;
  std::size_t e = 0;
  for (; e < job.events.size(); ++e) {
    switch (job.events[e]) {
      case ChunkJob::Event::Task: {
        if (out.tasks == budget) break;
        const std::uint32_t slot = allocate_slot();
        if (slot == kNone) {
          out.window_full = true;
          break;
        }
        std::swap(task(slot).payload, job.payloads[payload++]);
        pending_slot_ = slot;
        commit_task();
        ++out.tasks;
        continue;
      }
      case ChunkJob::Event::ChainBegin:
        chain_begin();
        continue;
      case ChunkJob::Event::ChainEnd:
        chain_end();
        continue;
      case ChunkJob::Event::GroupBegin:
        group_begin();
        continue;
      case ChunkJob::Event::GroupEnd:
        group_end();
        continue;
      case ChunkJob::Event::ItemBegin:
        item_begin();
        continue;
      case ChunkJob::Event::ItemEnd:
        item_end();
        continue;
    }
    break;  // stopped at a task: budget or window
  }
  // Keep what was not replayed, in order, for the next call.
  job.events.erase(job.events.begin(), job.events.begin() + static_cast<std::ptrdiff_t>(e));
  std::rotate(job.payloads.begin(), job.payloads.begin() + static_cast<std::ptrdiff_t>(payload),
              job.payloads.begin() + static_cast<std::ptrdiff_t>(job.buffered_tasks));
  job.buffered_tasks -= payload;
  if (!job.events.empty()) return false;
  if (job.error) {
    std::exception_ptr error = job.error;
    job.error = nullptr;
    std::rethrow_exception(error);
  }
  if (!job.generator.done()) {
    const std::int64_t n = job.generator.run(*this, budget - out.tasks);
    out.tasks += n;
    job.tasks += n;
    out.window_full = job.generator.blocked();
    if (!job.generator.done()) return false;
  }
  return true;
}

bool Engine::split_loop(const Generator& from, int loop_node, std::int64_t begin,
                        std::int64_t end) {
  if (options_.generators <= 1) return false;
  auto split = std::make_shared<ChunkedLoop>(plan_, *values_, loop_node, from.vars(), begin, end,
                                             2 * options_.generators);
  std::lock_guard<std::mutex> lock(split_mu_);
  split_ = std::move(split);
  split_active_.store(true, std::memory_order_relaxed);
  return true;
}

bool Engine::help() {
  std::shared_ptr<ChunkedLoop> split;
  {
    std::lock_guard<std::mutex> lock(split_mu_);
    split = split_;
  }
  return split && split->help();
}

TaskPayload* Engine::next_payload() {
  const std::uint32_t slot = allocate_slot();
  if (slot == kNone) return nullptr;
  pending_slot_ = slot;
  return &task(slot).payload;
}

// Inlined into its callers (all in this file): it runs for every dependency edge.
template <bool kShared>
[[gnu::always_inline]] inline bool Engine::add_edge(Waitable& p, TaskRecord& succ,
                                                    std::uint32_t succ_slot) {
  MaybeLock lock(p.lock, kShared);
  if (p.done) {
    raise<kShared>(succ.path, p.path.load(std::memory_order_relaxed));
    return false;
  }
  p.successors.push_back(succ_slot);
  count_up<kShared>(succ.pending);
  return true;
}

void Engine::track_data(TaskRecord& t, std::uint32_t slot) {
  const PlanNode& n = plan_.nodes[static_cast<std::size_t>(t.payload.node)];
  const std::size_t nargs = n.args.size();
  t.regions.resize(nargs);
  t.superseded.assign(nargs, 0);
  for (std::size_t i = 0; i < nargs; ++i) {
    const PlanArg& a = n.args[i];
    if (a.kind == ParamKind::Scalar) continue;
    const int space = tensor_space_[static_cast<std::size_t>(a.tensor)];
    if (!space_tracked_[static_cast<std::size_t>(space)]) continue;
    Region& region = t.regions[i];
    t.payload.tensors[i].region_into(region);
    if (region.empty()) continue;
    const bool w = writes(a.kind);
    index_.cells_of(space, region, cells_);
    index_.for_each_candidate(cells_, [&](const AccessEntry& e) {
      if (!w && !e.writes) return false;                         // read after read: no conflict
      if (e.hi <= region.lo || region.hi <= e.lo) return false;  // disjoint bytes: no conflict
      if (e.task_id == t.id) return false;
      TaskRecord& p = task(e.slot);
      if (p.id != e.task_id || p.superseded[e.access]) return true;  // retired, or covered
      if (p.dep_stamp == t.id) {
        // Already ordered after p; a covering write still supersedes p's access.
        if (w && region.contains(p.regions[e.access])) {
          p.superseded[e.access] = 1;
          return true;
        }
        return false;
      }
      if (!region.overlaps(p.regions[e.access])) return false;
      p.dep_stamp = t.id;
      if ((shared() ? add_edge<true>(p, t, slot) : add_edge<false>(p, t, slot)) &&
          options_.record_deps) {
        t.deps.push_back(p.id);
      }
      // Anyone who would conflict with p's access now conflicts with this write, which comes
      // after p: p's entry need not be found again.
      if (w && region.contains(p.regions[e.access])) {
        p.superseded[e.access] = 1;
        return true;
      }
      return false;
    });
    index_.insert(cells_,
                  AccessEntry{slot, static_cast<std::uint16_t>(i), w, t.id, region.lo, region.hi},
                  t.index_keys);
  }
}

// Inlined into commit (all its calls are there): once per gate of each task.
template <bool kShared>
[[gnu::always_inline]] inline void Engine::wait_for_gate(const GateRef& gate, TaskRecord& t,
                                                         std::uint32_t slot) {
  if (gate.ref == kNone) return;
  if (gate.is_task) {
    TaskRecord& p = task(gate.ref);
    if (p.id != gate.stamp || p.dep_stamp == t.id) return;  // recycled, or already waited on
    p.dep_stamp = t.id;
    if (add_edge<kShared>(p, t, slot) && options_.record_deps) t.deps.push_back(p.id);
  } else if (GroupRecord& g = group(gate.ref); g.serial == gate.stamp) {  // else recycled
    add_edge<kShared>(g, t, slot);
  }
}

// Inlined into commit_task and commit_item.
template <bool kItem, bool kShared>
[[gnu::always_inline]] inline void Engine::commit(std::size_t first_gate) {
  const std::uint32_t slot = pending_slot_;
  TaskRecord& t = task(slot);
  if (placer_ != nullptr) {
    // First, so that a key that fails leaves nothing linked.
    const Placement p = placer_->place(t.payload, next_id_);
    t.home_queue = t.queue = p.queue;
    t.stream = p.stream;
    t.stream_seq = p.stream_seq;
    t.priority = p.priority;
  }
  last_slot_ = slot;
  t.id = next_id_++;
  t.path.store(0, std::memory_order_relaxed);
  now_ns_ += ns_per_task_;
  t.gen_ns = now_ns_;
  if (options_.record_deps) t.deps.clear();
  t.dep_stamp = ~0ull;
  t.done = false;
  t.pending.store(1, std::memory_order_relaxed);  // released below, after every edge is in
  t.group = group_stack_.empty() ? kNone : group_stack_.back();
  if (t.group != kNone) {
    GroupRecord& parent = group(t.group);
    count_up<kShared>(parent.pending);
    ++parent.members;
  }
  for (std::size_t g = first_gate; g < gate_stack_.size(); ++g) {
    wait_for_gate<kShared>(gate_stack_[g], t, slot);
  }
  if constexpr (kItem) {
    Gate& last = chains_.back().last;
    wait_for_gate<kShared>(last, t, slot);
    last = Gate{slot, true, t.id};  // the next item waits for this one
  }
  if (node_tracked_[static_cast<std::size_t>(t.payload.node)]) track_data(t, slot);
  if (count_down<kShared>(t.pending) == 1) {
    ready_out_.push(slot);
  } else if (waiting_out_.attached()) {
    waiting_out_.push(slot);
  }
}

void Engine::commit_task() {
  if (shared()) {
    commit<false, true>(gate_floor_);
  } else {
    commit<false, false>(gate_floor_);
  }
}

// item_begin, commit_task, item_end without pushing the previous body on the gate stack and
// popping it again.
void Engine::commit_item() {
  Chain& chain = chains_.back();
  const bool implied = chain.last.valid() && chain.epoch == gate_epoch_;  // as open_body
  chain.epoch = gate_epoch_;
  const std::size_t first_gate = implied ? gate_stack_.size() : gate_floor_;
  if (shared()) {
    commit<true, true>(first_gate);
  } else {
    commit<true, false>(first_gate);
  }
}

// A body of the innermost chain begins: its tasks wait for the previous body.
[[gnu::always_inline]] inline void Engine::open_body() {
  Chain& chain = chains_.back();
  gate_marks_.push_back(BodyMark{gate_stack_.size(), gate_floor_});
  // The previous body waited for the gates below (or for what implied them): waiting for it
  // covers them.
  if (chain.last.valid() && chain.epoch == gate_epoch_) gate_floor_ = gate_stack_.size();
  chain.epoch = gate_epoch_;
  gate_stack_.push_back(chain.last);
}

[[gnu::always_inline]] inline void Engine::close_body() {
  gate_stack_.resize(gate_marks_.back().size);
  gate_floor_ = gate_marks_.back().floor;
  gate_marks_.pop_back();
}

void Engine::item_begin() {
  open_body();
}

void Engine::item_end() {
  close_body();
  chains_.back().last = Gate{last_slot_, true, task(last_slot_).id};
}

void Engine::chain_begin() {
  chains_.push_back(Chain{});
}

void Engine::chain_end() {
  chains_.pop_back();
}

void Engine::group_begin() {
  std::uint32_t g;
  if (!free_groups_.empty()) {
    g = free_groups_.back();
    free_groups_.pop_back();
  } else {
    const std::size_t chunk = groups_.size();
    if (chunk >= kMaxGroupChunks) {
      throw ExecutionError(
          "the workload nests more for_each/sequential bodies in flight than "
          "the engine can track");
    }
    groups_.push_back(std::make_unique<GroupRecord[]>(kChunkMask + 1));
    for (std::uint32_t k = kChunkMask + 1; k-- > 1;) {
      free_groups_.push_back(static_cast<std::uint32_t>(chunk << kChunkBits) | k);
    }
    g = static_cast<std::uint32_t>(chunk << kChunkBits);
  }
  GroupRecord& rec = group(g);
  rec.pending.store(1, std::memory_order_relaxed);  // released by group_end
  rec.done = false;
  rec.path.store(0, std::memory_order_relaxed);
  rec.successors.clear();
  rec.members = 0;
  rec.group = group_stack_.empty() ? kNone : group_stack_.back();
  if (rec.group != kNone) {
    GroupRecord& parent = group(rec.group);
    count_up(parent.pending);
    ++parent.members;
  }
  open_body();
  group_stack_.push_back(g);
}

void Engine::group_end() {
  const std::uint32_t g = group_stack_.back();
  group_stack_.pop_back();
  GroupRecord& rec = group(g);
  if (rec.members == 0) {
    // A body without tasks (an empty iteration, cond without else, a CSP record/synchronize)
    // must still end after what it waited for, or the next body would not wait for it.
    for (std::size_t k = gate_floor_; k < gate_stack_.size(); ++k) gate_group(gate_stack_[k], g);
  }
  close_body();
  chains_.back().last = Gate{g, false, rec.serial};
  member_done(g, ready_out_.settle());
}

bool Engine::gate_group(const GateRef& gate, std::uint32_t g) {
  if (!gate.valid()) return false;
  if (gate.is_task) {
    if (task(gate.ref).id != gate.stamp) return false;  // finished and recycled
  } else if (group(gate.ref).serial != gate.stamp) {
    return false;
  }
  Waitable& p = record(gate.is_task ? gate.ref : (gate.ref | kGroupBit));
  MaybeLock lock(p.lock, shared());
  if (p.done) {  // as add_edge: the critical path still runs through it
    raise(group(g).path, p.path.load(std::memory_order_relaxed));
    return false;
  }
  p.successors.push_back(g | kGroupBit);
  count_up(group(g).pending);
  return true;
}

// --- CSP contexts --------------------------------------------------------------------------------

int Engine::context_new() {
  Context c;
  c.group_stack = group_stack_;  // its tasks are members of the enclosing bodies
  c.gate_stack = gate_stack_;    // and wait for what they wait for
  c.gate_floor = gate_floor_;
  c.in_use = true;
  for (std::size_t i = 1; i < contexts_.size(); ++i) {
    if (!contexts_[i].in_use) {
      contexts_[i] = std::move(c);
      return static_cast<int>(i);
    }
  }
  contexts_.push_back(std::move(c));
  return static_cast<int>(contexts_.size()) - 1;
}

void Engine::context_switch(int id) {
  if (id == current_context_) return;
  Context& out = contexts_[static_cast<std::size_t>(current_context_)];
  out.chains.swap(chains_);
  out.group_stack.swap(group_stack_);
  out.gate_stack.swap(gate_stack_);
  out.gate_marks.swap(gate_marks_);
  out.gate_floor = gate_floor_;
  out.last_slot = last_slot_;
  Context& in = contexts_[static_cast<std::size_t>(id)];
  in.chains.swap(chains_);
  in.group_stack.swap(group_stack_);
  in.gate_stack.swap(gate_stack_);
  in.gate_marks.swap(gate_marks_);
  gate_floor_ = in.gate_floor;  // a context's gates change only while it is current: no new epoch
  last_slot_ = in.last_slot;
  current_context_ = id;
}

void Engine::context_free(int id) {
  if (id == 0 || id == current_context_) throw InternalError("Engine::context_free: live context");
  contexts_[static_cast<std::size_t>(id)] = Context{};
}

void Engine::push_gate(GateRef gate) {
  gate_stack_.push_back(gate);
  ++gate_epoch_;
}

void Engine::pop_gate() {
  gate_stack_.pop_back();
  ++gate_epoch_;
}

GateRef Engine::chain_last() {
  return chains_.empty() ? GateRef{} : chains_.back().last;
}

// Inlined into complete (once per task) and done_groups.
template <bool kShared>
[[gnu::always_inline]] inline void Engine::finish(Waitable& w, std::vector<std::uint32_t>& ready,
                                                  GroupWorklist& groups) {
  MaybeLock lock(w.lock, kShared);
  w.done = true;
  const std::int64_t path = w.path.load(std::memory_order_relaxed);
  // Inlined into the loops below (GCC kept it a call per successor).
  const auto release = [&](RecordRef s) __attribute__((always_inline)) {
    if (s & kGroupBit) {  // an empty body waiting for its gates
      GroupRecord& g = group(s & ~kGroupBit);
      raise<kShared>(g.path, path);
      if (count_down<kShared>(g.pending) == 1) groups.push(s & ~kGroupBit);
      return;
    }
    // Before the release, so a ready task's path is final. The last predecessor to finish is
    // the only writer left: no compare-exchange needed (the common case in chains).
    TaskRecord& succ = task(s);
    if (succ.pending.load(std::memory_order_acquire) == 1) {
      if (succ.path.load(std::memory_order_relaxed) < path) {
        succ.path.store(path, std::memory_order_relaxed);
      }
    } else {
      raise<kShared>(succ.path, path);
    }
    if (count_down<kShared>(succ.pending) == 1) ready.push_back(s);
  };
  for (RecordRef s : w.successors.first()) release(s);
  for (RecordRef s : w.successors.rest()) release(s);
  w.successors.clear();
}

// Groups whose last member (or gate) finished: each is finished, counts as a finished member of
// its enclosing group, and is retired. A worklist, not recursion: a long run of empty bodies
// would otherwise nest one call per body.
void Engine::done_groups(GroupWorklist& groups, std::vector<std::uint32_t>& ready) {
  while (!groups.empty()) {
    const std::uint32_t g = groups.pop();
    GroupRecord& rec = group(g);
    if (shared()) {
      finish<true>(rec, ready, groups);
    } else {
      finish<false>(rec, ready, groups);
    }
    if (rec.group != kNone) {
      raise(group(rec.group).path, rec.path.load(std::memory_order_relaxed));
      if (count_down(group(rec.group).pending) == 1) groups.push(rec.group);
    }
    retire(g | kGroupBit);
  }
}

void Engine::member_done(std::uint32_t g, std::vector<std::uint32_t>& ready) {
  if (count_down(group(g).pending) != 1) return;
  GroupWorklist groups;
  groups.push(g);
  done_groups(groups, ready);
}

std::int64_t Engine::complete(std::uint32_t slot, std::int64_t duration_ns,
                              std::vector<std::uint32_t>& ready) {
  return shared() ? complete_as<true>(slot, duration_ns, ready)
                  : complete_as<false>(slot, duration_ns, ready);
}

template <bool kShared>
[[gnu::always_inline]] inline std::int64_t Engine::complete_as(std::uint32_t slot,
                                                               std::int64_t duration_ns,
                                                               std::vector<std::uint32_t>& ready) {
  TaskRecord& t = task(slot);
  const std::int64_t path = t.path.load(std::memory_order_relaxed) + duration_ns;
  t.path.store(path, std::memory_order_relaxed);
  GroupWorklist groups;
  finish<kShared>(t, ready, groups);
  if (t.group != kNone) {
    GroupRecord& g = group(t.group);
    raise<kShared>(g.path, path);
    if (count_down<kShared>(g.pending) == 1) groups.push(t.group);
  }
  if (!groups.empty()) done_groups(groups, ready);
  return path;
}

}  // namespace pto::wsp::engine
