// The lazy generator emits exactly the reference enumerator's tasks, in the same order, whether
// it runs in one go or is stopped and resumed after every task.
#include <algorithm>

#include <gtest/gtest.h>

#include "engine/engine.hpp"
#include "engine/generator.hpp"
#include "support/expect_error.hpp"
#include "workload/fixtures.hpp"

namespace pto::wsp {
namespace {

using testing::noop_kernel;

// Records every task as the reference enumerator prints it.
class CollectSink final : public engine::GenerationSink {
 public:
  explicit CollectSink(const Plan& plan) : plan_(plan) {}
  engine::TaskPayload* next_payload() override { return &payload_; }
  void commit_task() override {
    const PlanNode& n = plan_.nodes[static_cast<std::size_t>(payload_.node)];
    TaskInstance t;
    t.node = payload_.node;
    t.kernel = &plan_.kernels[static_cast<std::size_t>(n.kernel)];
    for (int a = 0; a < payload_.num_axes; ++a) {
      t.axes.push_back(AxisValue{n.axis_names[a], payload_.axis_values[a]});
    }
    t.tensors = payload_.tensors;
    t.scalars = payload_.scalars;
    tasks.push_back(t.to_string());
  }
  void chain_begin() override { events += "["; }
  void chain_end() override { events += "]"; }
  void group_begin() override { events += "("; }
  void group_end() override { events += ")"; }

  std::vector<std::string> tasks;
  std::string events;

 private:
  const Plan& plan_;
  engine::TaskPayload payload_;
};

std::vector<std::string> reference(const Plan& plan, const BoundValues& v) {
  std::vector<std::string> out;
  enumerate_tasks(plan, v, [&](const TaskInstance& t) { out.push_back(t.to_string()); });
  return out;
}

void expect_same_as_reference(const Workload& w, const Bindings& b) {
  Plan plan = lower(w);
  BoundValues v = bind(plan, b);
  const std::vector<std::string> expected = reference(plan, v);
  {
    engine::Generator g(plan, v);
    CollectSink sink(plan);
    g.run(sink, std::numeric_limits<std::int64_t>::max());
    EXPECT_TRUE(g.done());
    EXPECT_EQ(sink.tasks, expected);
  }
  {  // stopped after every task and resumed
    engine::Generator g(plan, v);
    CollectSink sink(plan);
    while (!g.done()) g.run(sink, 1);
    EXPECT_EQ(sink.tasks, expected);
  }
}

class GeneratorVsReference : public ::testing::Test {
 protected:
  Kernel k = noop_kernel("k", {InOut("x", DType::f32, 1), Scalar("s")});
  TensorRef X = tensor("X", DType::f32, 2);
  Tensor x = Tensor::zeros(DType::f32, {16, 16});
};

TEST_F(GeneratorVsReference, DenseGridWithViewsAndScalars) {
  Workload w = parallel_for(DenseDyn("n"), "b", [&](Var b) {
    return parallel_for(Dense<3>(), "h", [&](Var h) {
      return task(k, {b, h}, {X[b].slice(h * 2, h * 2 + 2), b * 10 + h});
    });
  });
  expect_same_as_reference(w, Bindings().set("n", 5).set_tensor("X", x));
  expect_same_as_reference(w, Bindings().set("n", 0).set_tensor("X", x));
}

TEST_F(GeneratorVsReference, RaggedWholeAxisAndRowsWithEmptyRows) {
  Axis rag = Ragged(symbol("rows"), "len");
  Workload w = combine({
      parallel_for(rag, "r", "j",
                   [&](Var r, Var j) {
                     return task(k, {r, j}, {X[r].slice(j, j + 1), j});
                   }),
      parallel_for(DenseDyn("rows"), "b",
                   [&](Var b) {
                     return for_each(row(rag, b), "t", [&](Var t) {
                       return task(k, {b, t}, {X[b].slice(t, t + 1), t});
                     });
                   }),
  });
  expect_same_as_reference(
      w, Bindings().set("rows", 5).set_array("len", {3, 0, 0, 4, 1}).set_tensor("X", x));
  expect_same_as_reference(w, Bindings().set("rows", 0).set_array("len", {}).set_tensor("X", x));
}

TEST_F(GeneratorVsReference, SparseWholeAxisAndSelectedRows) {
  Axis sp = Sparse(symbol("rows"), "indptr", "idx");
  Workload w = sequential({
      select(sp, "e", "tok",
             [&](Var e, Var tok) {
               return task(k, {e, tok}, {X[e].slice(tok, tok + 1), tok});
             }),
      parallel_for(DenseDyn("rows"), "e",
                   [&](Var e) {
                     return select(row(sp, e), "tok", [&](Var tok) {
                       return task(k, {e, tok}, {X[tok], e});
                     });
                   }),
  });
  expect_same_as_reference(w, Bindings()
                                  .set("rows", 4)
                                  .set_array("indptr", {0, 2, 2, 5, 6})
                                  .set_array("idx", {3, 1, 0, 7, 2, 9})
                                  .set_tensor("X", x));
}

TEST_F(GeneratorVsReference, CondCombineSequentialAndChainsNested) {
  ArrayRef len = array("len");
  Workload w = parallel_for(Dense(4), "b", [&](Var b) {
    return sequential({
        cond(len[b] > 2, task(k, {b}, {X[b], 1}), task(k, {b}, {X[b], 2})),
        for_each(DenseDyn(len[b]), "t",
                 [&](Var t) {
                   return combine({task(k, {b, t}, {X[b].slice(t, t + 1), 3}),
                                   cond(t % 2 == 0, task(k, {b, t}, {X[t], 4}))});
                 }),
        cond(slot("flag") != 0, task(k, {b}, {X[b], 5})),
    });
  });
  expect_same_as_reference(w, Bindings().set_array("len", {0, 3, 1, 5}).set_tensor("X", x));
  expect_same_as_reference(
      w, Bindings().set_array("len", {0, 3, 1, 5}).set_slot("flag", 1).set_tensor("X", x));
}

TEST_F(GeneratorVsReference, StructuralEventsBracketChainsAndGroups) {
  Kernel e = noop_kernel("e", {});
  Workload w = sequential(
      {task(e, {}, {}), for_each(Dense(2), "i", [&](Var i) { return task(e, {i}, {}); })});
  Plan plan = lower(w);
  BoundValues v = bind(plan, Bindings());
  engine::Generator g(plan, v);
  CollectSink sink(plan);
  g.run(sink, 100);
  EXPECT_EQ(sink.events, "[()([()()])]");
  EXPECT_EQ(sink.tasks.size(), 3u);
}

TEST_F(GeneratorVsReference, BadViewIsReportedBeforeTheTaskIsCommitted) {
  Workload w = parallel_for(DenseDyn("n"), "b", [&](Var b) { return task(k, {b}, {X[b], b}); });
  Plan plan = lower(w);
  BoundValues v = bind(plan, Bindings().set("n", 17).set_tensor("X", x));
  engine::Generator g(plan, v);
  CollectSink sink(plan);
  EXPECT_THROW_MSG(g.run(sink, 100), CompileError, "task k[b=16]: argument 'x' = X[b]",
                   "index 16 is outside [0, 16)");
  EXPECT_EQ(sink.tasks.size(), 16u);
}

}  // namespace
}  // namespace pto::wsp

namespace pto::wsp {
namespace {

// Completes and retires every task in `ready`; `ready` then holds the tasks that released.
void complete_round(engine::Engine& e, std::vector<std::uint32_t>& ready) {
  std::vector<std::uint32_t> next;
  for (std::uint32_t s : ready) {
    e.complete(s, 0, next);
    e.retire(s);
  }
  ready.swap(next);
}

// The engine's memory is bounded by the window: after any number of tasks, the index holds at
// most one entry per access of an unretired task, and group records stay few.
TEST(EngineMemory, IndexEntriesAndGroupsAreBoundedByTheWindow) {
  Kernel k = testing::noop_kernel("k", {Out("y", DType::f32, 0)});
  TensorRef Y = tensor("Y", DType::f32, 2);
  Workload w =
      for_each(DenseDyn("n"), "i", [&](Var i) { return task(k, {i}, {Y[i / 64][i % 64]}); });
  Plan plan = lower(w);
  BoundValues values =
      bind(plan, Bindings().set("n", 64 * 64).set_tensor("Y", Tensor::zeros(DType::f32, {64, 64})));
  engine::Engine e(plan, engine::EngineOptions{8, WindowMode::Stall});
  e.start(values);
  std::vector<std::uint32_t> ready;
  std::int64_t tasks = 0;
  std::size_t most_entries = 0;
  for (;;) {
    e.reclaim();
    const engine::GenerateResult r = e.generate(1000, 0, ready);
    tasks += r.tasks;
    most_entries = std::max(most_entries, e.index_entries());
    while (!ready.empty()) complete_round(e, ready);
    if (r.exhausted) break;
  }
  EXPECT_EQ(tasks, 64 * 64);
  EXPECT_LE(most_entries, 8u);
  EXPECT_LE(e.group_records(), 1024u);  // one chunk of group records was enough
}

// A window far larger than what runs (here larger than the 2^32 - 1 slots a record index can
// name) reserves address space only: the records made are the tasks in flight, and the run is the
// same as under a small window. (Under ThreadSanitizer the 1.6 TB reservation fails and the
// engine takes the largest it can: this test then covers that path too.)
TEST(EngineMemory, AHugeWindowMakesOnlyTheRecordsInFlight) {
  Kernel k = testing::noop_kernel("k", {Out("y", DType::f32, 0)});
  TensorRef Y = tensor("Y", DType::f32, 1);
  Workload w = parallel_for(DenseDyn("n"), "i", [&](Var i) { return task(k, {i}, {Y[i]}); });
  Plan plan = lower(w);
  BoundValues values =
      bind(plan, Bindings().set("n", 1000).set_tensor("Y", Tensor::zeros(DType::f32, {1000})));
  engine::Engine e(plan, engine::EngineOptions{std::int64_t{1} << 40, WindowMode::Stall});
  e.start(values);
  std::vector<std::uint32_t> ready;
  std::int64_t tasks = 0;
  for (;;) {
    e.reclaim();
    const engine::GenerateResult r = e.generate(100, 0, ready);
    tasks += r.tasks;
    while (!ready.empty()) complete_round(e, ready);
    if (r.exhausted) break;
  }
  EXPECT_EQ(tasks, 1000);
  EXPECT_EQ(e.slots(), 100u);  // one batch in flight at a time: its records are reused
}

TEST(ReservedArray, MakesRecordsInPlaceAndDestroysEachOnce) {
  struct Counted {
    explicit Counted(int& live) : live_(live) { ++live_; }
    ~Counted() { --live_; }
    Counted(const Counted&) = delete;
    Counted& operator=(const Counted&) = delete;
    int& live_;
    int value = 7;
  };
  int live = 0;
  {
    engine::ReservedArray<Counted> a(std::size_t{1} << 28);  // a reservation of gigabytes
    EXPECT_EQ(a.capacity(), std::size_t{1} << 28);
    Counted& first = a.make_next(live);
    first.value = 1;
    for (int i = 0; i < 5000; ++i) a.make_next(live);  // spans pages; nothing moves
    EXPECT_EQ(&a[0], &first);
    EXPECT_EQ(a[0].value, 1);
    EXPECT_EQ(a[5000].value, 7);
    EXPECT_EQ(a.made(), 5001u);
    EXPECT_EQ(live, 5001);
  }
  EXPECT_EQ(live, 0);
}

// `generate` can list the tasks it commits that wait for others, beside the ready ones: together
// every committed task, in generation order within each list — so that a backend can derive what
// it needs from each task's arguments at once.
TEST(EngineMemory, GenerateListsTheTasksThatWait) {
  Kernel k = testing::noop_kernel("k", {InOut("y", DType::f32, 0)});
  TensorRef Y = tensor("Y", DType::f32, 2);
  // Two chains of 5: task (c, i) waits for (c, i - 1).
  Workload w = parallel_for(Dense<2>(), "c", [&](Var c) {
    return for_each(Dense<5>(), "i", [&](Var i) { return task(k, {c, i}, {Y[c][i]}); });
  });
  Plan plan = lower(w);
  BoundValues values = bind(plan, Bindings().set_tensor("Y", Tensor::zeros(DType::f32, {2, 5})));
  engine::Engine e(plan, engine::EngineOptions{4, WindowMode::Stall});
  e.start(values);
  std::vector<std::uint32_t> ready, waiting;
  std::vector<std::uint64_t> ready_ids, waiting_ids;
  for (;;) {
    e.reclaim();
    waiting.clear();
    const std::size_t released = ready.size();  // by the completions of the last round
    const engine::GenerateResult r = e.generate(3, 0, ready, 0, &waiting);
    EXPECT_EQ(ready.size() - released + waiting.size(), static_cast<std::size_t>(r.tasks));
    for (std::size_t i = released; i < ready.size(); ++i) ready_ids.push_back(e.task(ready[i]).id);
    for (std::uint32_t s : waiting) {
      waiting_ids.push_back(e.task(s).id);
      EXPECT_GT(e.task(s).pending.load(), 0);
    }
    complete_round(e, ready);
    if (r.exhausted) break;
  }
  // Every task once, in one list or the other, each list in generation order; the chains' heads
  // ready (task 6 too: its predecessor finished before the window let it be generated).
  EXPECT_EQ(ready_ids, (std::vector<std::uint64_t>{0, 5, 6}));
  EXPECT_EQ(waiting_ids, (std::vector<std::uint64_t>{1, 2, 3, 4, 7, 8, 9}));
  // Without the list, generation is the same.
  e.start(values);
  EXPECT_EQ(e.generate(3, 0, ready).tasks, 3);
}

// Reads of a tensor no task writes cannot conflict: they are not tracked at all — unless the
// tensor aliases one that is written (then they are, byte by byte:
// Dependencies.ViewsThroughTwoRootsOfOneBufferAreComparedByBytes).
TEST(EngineMemory, ReadOnlyInputsAreNotTracked) {
  Kernel k = testing::noop_kernel("k", {In("x", DType::f32, 0), Out("y", DType::f32, 0)});
  TensorRef X = tensor("X", DType::f32, 1, TensorAccess::ReadOnly), Y = tensor("Y", DType::f32, 1);
  Workload w = parallel_for(DenseDyn("n"), "i", [&](Var i) { return task(k, {i}, {X[i], Y[i]}); });
  Plan plan = lower(w);
  std::vector<float> separate(64), shared(64);
  for (bool aliased : {false, true}) {
    BoundValues values = bind(
        plan, Bindings()
                  .set("n", 64)
                  .set_tensor("X", Tensor::borrow(aliased ? shared.data() : separate.data(), {64}))
                  .set_tensor("Y", Tensor::borrow(shared.data(), {64})));
    engine::Engine e(plan, engine::EngineOptions{1000, WindowMode::Stall});
    e.start(values);
    std::vector<std::uint32_t> ready;
    EXPECT_EQ(e.generate(1000, 0, ready).tasks, 64);
    // Separate: X is never written, and Y[i] is the only access to Y (one element per task):
    // nothing is indexed. Aliased: X[i] and Y[i] meet in one space, both are tracked.
    EXPECT_EQ(e.index_entries(), aliased ? 128u : 0u) << "aliased " << aliased;
  }
}

// Generates every task of `w` on an engine that completes nothing; returns how many were ready
// at once and how many accesses the index holds.
std::pair<std::size_t, std::size_t> ready_and_indexed(const Workload& w, const Bindings& b) {
  Plan plan = lower(w);
  BoundValues values = bind(plan, b);
  engine::Engine e(plan, engine::EngineOptions{1000, WindowMode::Stall});
  e.start(values);
  std::vector<std::uint32_t> ready;
  e.generate(1000, 0, ready);
  return {ready.size(), e.index_entries()};
}

TEST(EngineMemory, AnAccessNothingElseCanMeetIsNotTracked) {
  Kernel k = testing::noop_kernel("k", {Out("y", DType::f32, 0)});
  TensorRef Y = tensor("Y", DType::f32, 2);
  std::vector<float> y(4 * 8);
  const Bindings b = Bindings().set("n", 4).set_tensor("Y", Tensor::borrow(y.data(), {4, 8}));
  // Y[i][j] over loops i, j: every task its own element, no other access: untracked, all ready.
  EXPECT_EQ(ready_and_indexed(parallel_for(DenseDyn("n"), "i",
                                           [&](Var i) {
                                             return parallel_for(Dense(8), "j", [&](Var j) {
                                               return task(k, {i, j}, {Y[i][j]});
                                             });
                                           }),
                              b),
            std::make_pair(std::size_t{32}, std::size_t{0}));
  // Y[i] inside loops i, j: the 8 tasks of one i write the same row, in order: tracked.
  Kernel row = testing::noop_kernel("row", {Out("y", DType::f32, 1)});
  EXPECT_EQ(ready_and_indexed(parallel_for(DenseDyn("n"), "i",
                                           [&](Var i) {
                                             return parallel_for(Dense(8), "j", [&](Var j) {
                                               return task(row, {i, j}, {Y[i]});
                                             });
                                           }),
                              b)
                .first,
            4u);
  // Y[i % 2][j]: an index that is not a loop variable may repeat: tracked.
  EXPECT_EQ(ready_and_indexed(parallel_for(DenseDyn("n"), "i",
                                           [&](Var i) {
                                             return parallel_for(Dense(8), "j", [&](Var j) {
                                               return task(k, {i, j}, {Y[i % 2][j]});
                                             });
                                           }),
                              b)
                .first,
            16u);
  // Two nodes write Y[i][j] (a second grid after the first): tracked — the second grid's tasks
  // wait (32 of 64 ready) and each element's entry is the later write's.
  const auto grid = [&] {
    return parallel_for(DenseDyn("n"), "i", [&](Var i) {
      return parallel_for(Dense(8), "j", [&](Var j) { return task(k, {i, j}, {Y[i][j]}); });
    });
  };
  EXPECT_EQ(ready_and_indexed(combine({grid(), grid()}), b),
            std::make_pair(std::size_t{32}, std::size_t{32}));
}

TEST(EngineMemory, AccessesTheStructureAlreadyOrdersAreNotTracked) {
  Kernel k = testing::noop_kernel("k", {InOut("s", DType::f32, 0)});
  TensorRef S = tensor("S", DType::f32, 2), Z = tensor("Z", DType::f32, 2);
  std::vector<float> s(4 * 8), z(4 * 8);
  const Bindings b = Bindings()
                         .set("n", 4)
                         .set_tensor("S", Tensor::borrow(s.data(), {4, 8}))
                         .set_tensor("Z", Tensor::borrow(z.data(), {4, 8}));
  // Per (i, h): init, a for_each over 3 tiles, norm, all on S[i][h] (the attention pattern):
  // ordered by sequential and for_each, disjoint across (i, h): untracked, the 32 inits ready.
  const auto attention = [&](bool ordered_tiles) {
    return parallel_for(DenseDyn("n"), "i", [&](Var i) {
      return parallel_for(Dense(8), "h", [&](Var h) {
        const auto tile = [&](Var t) { return task(k, {i, h, t}, {S[i][h]}); };
        return sequential(
            {task(k, {i, h}, {S[i][h]}),
             ordered_tiles ? for_each(Dense(3), "t", tile) : parallel_for(Dense(3), "t", tile),
             task(k, {i, h}, {S[i][h]})});
      });
    });
  };
  EXPECT_EQ(ready_and_indexed(attention(true), b), std::make_pair(std::size_t{32}, std::size_t{0}));
  // The tiles as a parallel_for: three tasks of one (i, h) at once on one element: tracked.
  EXPECT_GT(ready_and_indexed(attention(false), b).second, 0u);
  // A for_each around a grid: its iterations are ordered, the grid's tasks disjoint.
  const auto grid = [&](TensorRef T) {
    return parallel_for(DenseDyn("n"), "i", [&](Var i) {
      return parallel_for(Dense(8), "j", [&](Var j) { return task(k, {i, j}, {T[i][j]}); });
    });
  };
  EXPECT_EQ(ready_and_indexed(for_each(Dense(2), "x", [&](Var) { return grid(S); }), b),
            std::make_pair(std::size_t{32}, std::size_t{0}));
  // The same grid under a parallel_for: two iterations write each element at once: tracked.
  EXPECT_EQ(ready_and_indexed(parallel_for(Dense(2), "x", [&](Var) { return grid(S); }), b).first,
            32u);
  // A combine of grids on different tensors: each tensor's accesses are in one branch.
  EXPECT_EQ(ready_and_indexed(combine({grid(S), grid(Z)}), b),
            std::make_pair(std::size_t{64}, std::size_t{0}));
}

TEST(EngineMemory, AccessesUnderForEachLoopsOnlyAreNotTracked) {
  Kernel k = testing::noop_kernel("k", {InOut("y", DType::f32, 0)});
  TensorRef Y = tensor("Y", DType::f32, 1);
  std::vector<float> y(8);
  // Views by any expression, even a stride-0 layout: every task after the previous one.
  for (const Shape& strides : {Shape{1}, Shape{0}}) {
    const Bindings b =
        Bindings().set("n", 32).set_tensor("Y", Tensor::borrow(y.data(), {8}, strides));
    EXPECT_EQ(ready_and_indexed(
                  for_each(DenseDyn("n"), "i", [&](Var i) { return task(k, {i}, {Y[i / 4]}); }), b),
              std::make_pair(std::size_t{1}, std::size_t{0}));
    // The same tasks in a parallel_for: Y[i / 4] is shared by four tasks at once: tracked.
    const auto tracked = ready_and_indexed(
        parallel_for(DenseDyn("n"), "i", [&](Var i) { return task(k, {i}, {Y[i / 4]}); }), b);
    EXPECT_EQ(tracked.first, strides[0] == 0 ? 1u : 8u);
    EXPECT_GT(tracked.second, 0u);
  }
}

TEST(EngineMemory, RepeatedSparseIndicesAndSelfAliasingLayoutsAreTracked) {
  Kernel k = testing::noop_kernel("k", {Out("y", DType::f32, 0)});
  TensorRef Y = tensor("Y", DType::f32, 1);
  std::vector<float> y(8);
  // A sparse axis may list an index twice: the second write of Y[2] waits for the first.
  Axis sp = Sparse(symbol("rows"), "indptr", "idx");
  const Workload by_index = select(sp, "r", "i", [&](Var r, Var i) {
    return task(k, {r, i}, {Y[i]});
  });
  EXPECT_EQ(ready_and_indexed(by_index, Bindings()
                                            .set("rows", 2)
                                            .set_array("indptr", {0, 2, 3})
                                            .set_array("idx", {2, 5, 2})
                                            .set_tensor("Y", Tensor::borrow(y.data(), {8})))
                .first,
            2u);
  // Two names for overlapping views of one buffer, X = y[0:4] and Y = y[2:6]: task i writes
  // X[i] and Y[i], so tasks 0 and 2 both write y[2] (X[2], Y[0]) — each view alone selects
  // disjoint elements, the two together do not: tracked, tasks 2 and 3 wait.
  Kernel two = testing::noop_kernel("two", {Out("x", DType::f32, 0), Out("y", DType::f32, 0)});
  TensorRef X = tensor("X", DType::f32, 1);
  const Tensor whole = Tensor::borrow(y.data(), {8});
  EXPECT_EQ(ready_and_indexed(parallel_for(DenseDyn("n"), "i",
                                           [&](Var i) {
                                             return task(two, {i}, {X[i], Y[i]});
                                           }),
                              Bindings()
                                  .set("n", 4)
                                  .set_tensor("X", whole.slice(0, 4))
                                  .set_tensor("Y", whole.slice(2, 6)))
                .first,
            2u);
  // S[i][j] and S[j][i] in one task: tasks (0, 1) and (1, 0) both write S[0][1]: tracked.
  Kernel cross = testing::noop_kernel("cross", {Out("a", DType::f32, 0), Out("b", DType::f32, 0)});
  TensorRef S = tensor("S", DType::f32, 2);
  std::vector<float> s(4);
  EXPECT_EQ(ready_and_indexed(parallel_for(Dense(2), "i",
                                           [&](Var i) {
                                             return parallel_for(Dense(2), "j", [&](Var j) {
                                               return task(cross, {i, j}, {S[i][j], S[j][i]});
                                             });
                                           }),
                              Bindings().set_tensor("S", Tensor::borrow(s.data(), {2, 2})))
                .first,
            3u);  // (1, 0) waits for (0, 1); (0, 0) and (1, 1) are alone
  // A layout whose distinct coordinates share an address (stride 0): every Y[i] is one element.
  const Workload grid =
      parallel_for(DenseDyn("n"), "i", [&](Var i) { return task(k, {i}, {Y[i]}); });
  EXPECT_EQ(ready_and_indexed(
                grid, Bindings().set("n", 4).set_tensor("Y", Tensor::borrow(y.data(), {4}, {0})))
                .first,
            1u);
}

}  // namespace
}  // namespace pto::wsp

namespace pto::wsp {
namespace {

// Builds the reference string of a committed task record.
std::string describe(const Plan& plan, const engine::TaskPayload& p) {
  const PlanNode& n = plan.nodes[static_cast<std::size_t>(p.node)];
  TaskInstance t;
  t.node = p.node;
  t.kernel = &plan.kernels[static_cast<std::size_t>(n.kernel)];
  for (int a = 0; a < p.num_axes; ++a)
    t.axes.push_back(AxisValue{n.axis_names[a], p.axis_values[a]});
  t.tensors = p.tensors;
  t.scalars = p.scalars;
  return t.to_string();
}

class SplitGeneration : public ::testing::Test {
 protected:
  Kernel k = testing::noop_kernel("k", {Out("x", DType::f32, 1), Scalar("s")});
  TensorRef X = tensor("X", DType::f32, 2);
  // A long parallel loop (split into chunks) between two for_each chains, with a nested ragged
  // for_each inside its body: chunk replay must keep chains, groups and program order intact.
  Workload workload() {
    ArrayRef len = array("len");
    return sequential({
        for_each(Dense(3), "i",
                 [&](Var i) {
                   return task(k, {i}, {X[i], i});
                 }),
        parallel_for(DenseDyn("rows"), "r",
                     [&](Var r) {
                       return combine({task(k, {r}, {X[r], 100}),
                                       for_each(DenseDyn(len[r % 4]), "t", [&](Var t) {
                                         return task(k, {r, t}, {X[r].slice(t, t + 1), t});
                                       })});
                     }),
        for_each(Dense(2), "j",
                 [&](Var j) {
                   return task(k, {j}, {X[j], 7});
                 }),
    });
  }
  Bindings values(std::int64_t rows) {
    Bindings b;
    b.set("rows", rows)
        .set_array("len", {0, 3, 1, 5})
        .set_tensor("X", Tensor::zeros(DType::f32, {rows, 8}));
    return b;
  }
};

TEST_F(SplitGeneration, HelpersBufferChunksAndTheRoleReplaysThemInProgramOrder) {
  Workload w = workload();
  Plan plan = lower(w);
  BoundValues v = bind(plan, values(500));
  std::vector<std::string> expected;
  enumerate_tasks(plan, v, [&](const TaskInstance& t) { expected.push_back(t.to_string()); });

  engine::Engine e(plan, engine::EngineOptions{1 << 20, WindowMode::Stall, 4});
  e.start(v);
  std::vector<std::uint32_t> ready;
  std::vector<std::string> got;
  std::vector<std::uint64_t> ids;
  int helped = 0;
  for (;;) {
    e.reclaim();
    const engine::GenerateResult r = e.generate(7, 0, ready);
    while (e.can_help() && e.help()) ++helped;  // helpers run between the role's batches
    if (r.exhausted) break;
  }
  // Independent of the chains, every task id is recorded in commit order through its slot.
  for (std::uint32_t slot = 0; slot < expected.size(); ++slot) {
    got.push_back(describe(plan, e.task(slot).payload));
    ids.push_back(e.task(slot).id);
  }
  EXPECT_GT(helped, 0);
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t s = 0; s < ids.size(); ++s) {
    EXPECT_EQ(got[s], expected[ids[s]]) << "task id " << ids[s];
  }
}

TEST_F(SplitGeneration, ABadViewInAHelpersChunkIsRaisedAfterTheTasksBeforeIt) {
  Workload w = workload();
  Plan plan = lower(w);
  Bindings b = values(500);
  b.set_tensor("X", Tensor::zeros(DType::f32, {400, 8}));  // rows 400.. have no X row
  BoundValues v = bind(plan, b);
  engine::Engine e(plan, engine::EngineOptions{1 << 20, WindowMode::Stall, 4});
  e.start(v);
  std::vector<std::uint32_t> ready;
  std::int64_t tasks = 0;
  const auto run_all = [&] {
    for (;;) {
      e.reclaim();
      const engine::GenerateResult r = e.generate(50, 0, ready);
      tasks += r.tasks;
      while (e.can_help() && e.help()) {
      }
      if (r.exhausted) break;
    }
  };
  EXPECT_THROW_MSG(run_all(), CompileError, "task k[r=400]: argument 'x' = X[r]",
                   "index 400 is outside [0, 400)");
  // Exactly the tasks before r = 400 were committed: 3 + rows 0..399 (1 + len[r % 4] each).
  EXPECT_EQ(e.tasks_generated(), 3u + 100u * (4 + 0 + 3 + 1 + 5));
  EXPECT_LE(tasks, static_cast<std::int64_t>(e.tasks_generated()));
}

TEST_F(SplitGeneration, ParallelGenerationOnThreadsMatchesTheReference) {
  Workload w = workload();
  CompileOptions o;
  o.threads = 4;
  o.record_tasks = true;
  o.prevalidate = false;
  o.parallel_generation = true;
  Program p = compile(w, o);
  for (std::int64_t rows : {64, 1000, 3}) {
    Bindings b = values(rows);
    p.execute(b);
    p.synchronize();
    Plan plan = lower(w);
    std::vector<std::string> expected;
    enumerate_tasks(plan, bind(plan, b),
                    [&](const TaskInstance& t) { expected.push_back(t.name()); });
    ASSERT_EQ(p.task_log().size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
      std::string name = p.task_log()[i].kernel + "[";
      for (std::size_t a = 0; a < p.task_log()[i].axes.size(); ++a) {
        name += (a ? ", " : "") + p.task_log()[i].axes[a].first + "=" +
                std::to_string(p.task_log()[i].axes[a].second);
      }
      ASSERT_EQ(name + "]", expected[i]) << "task " << i;
    }
  }
}

}  // namespace
}  // namespace pto::wsp
