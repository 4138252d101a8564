#include "fieldcase/node/case_reader.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "fieldcase/record/data_payload.h"
#include "fieldcase/record/hlc.h"

namespace fieldcase::node {

using record::CaseState;
using record::RecordEntry;

Result<RecordEntry> CaseReader::Decrypt(const store::StoredEntry& se) const {
  const store::Header& h = se.entry.header;
  const crypto::SecretBytes* key = ring_.Key(h.key_id);
  if (key == nullptr || !se.entry.payload) return Status::NotFound("no key");
  const org::KeyInfo* info = ring_.Info(h.key_id);
  if (info == nullptr || info->case_id != h.case_id) {
    return Status::Corruption("encrypted under a key of another case");
  }
  FC_ASSIGN_OR_RETURN(record::Op op, record::OpenDataOp(*key, org_id_, h, *se.entry.payload));
  return RecordEntry{record::StampOf(se.entry), std::move(op)};
}

Status CaseReader::Collect(const Id128& case_id, std::vector<store::StoredEntry>& out) const {
  store::EntryFilter f;
  f.case_id = case_id;
  f.kind = uint8_t(store::Kind::kData);
  return log_.ForEach(f, [&](store::StoredEntry& se) {
    if (se.status == store::EntryStatus::kAccepted) out.push_back(std::move(se));
    return Status::Ok();
  });
}

Result<record::CaseView> CaseReader::LoadCase(const Id128& case_id) const {
  FC_RETURN_IF_ERROR(ring_.EnsureCase(case_id));
  std::vector<store::StoredEntry> entries;
  FC_RETURN_IF_ERROR(Collect(case_id, entries));
  CaseState state;
  for (const auto& se : entries) {
    auto r = Decrypt(se);
    if (r.ok())
      state.Apply(std::move(r).value());
    else
      state.AddUndecryptable(se.entry.id);
  }
  return std::move(state).View();
}

namespace {

// One chunk of scanned entries and what decrypting them gave. The scanning thread
// allocated the entries and frees them itself: freeing them on a worker would make glibc
// take the scanning thread's arena lock for every free while it keeps allocating.
struct Chunk {
  std::vector<store::StoredEntry> entries;
  std::vector<size_t> case_index;  // per entry
  std::vector<Id> ids;             // per entry: kept when the entries are freed
  std::vector<std::optional<RecordEntry>> decoded;
  std::atomic<bool> done{false};
};

// Chunks handed from the scanning thread to the decrypting ones.
class ChunkQueue {
 public:
  void Push(Chunk* c) {
    {
      std::lock_guard<std::mutex> l(mu_);
      q_.push_back(c);
    }
    cv_.notify_one();
  }
  void Close() {
    {
      std::lock_guard<std::mutex> l(mu_);
      closed_ = true;
    }
    cv_.notify_all();
  }
  // Null once closed and empty. `wait` false: null when nothing is queued now.
  Chunk* Pop(bool wait) {
    std::unique_lock<std::mutex> l(mu_);
    if (wait) cv_.wait(l, [&] { return closed_ || !q_.empty(); });
    if (q_.empty()) return nullptr;
    Chunk* c = q_.front();
    q_.pop_front();
    return c;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Chunk*> q_;
  bool closed_ = false;
};

}  // namespace

Result<std::vector<CaseRecord>> CaseReader::LoadAll(int threads) const {
  std::map<Id128, size_t> index;
  FC_RETURN_IF_ERROR(ring_.EnsureAll());  // before the workers share the ring
  for (const Id128& c : ring_.case_order()) index.emplace(c, index.size());
  std::vector<std::unique_ptr<Chunk>> chunks;
  ChunkQueue queue;
  auto decrypt = [&](Chunk& c) {
    c.decoded.resize(c.entries.size());
    for (size_t i = 0; i < c.entries.size(); ++i) {
      auto r = Decrypt(c.entries[i]);
      if (r.ok()) c.decoded[i] = std::move(r).value();
    }
    c.done.store(true, std::memory_order_release);
  };
  auto worker = [&] {
    while (Chunk* c = queue.Pop(/*wait=*/true)) decrypt(*c);
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < std::max(1, threads); ++t) pool.emplace_back(worker);
  const bool overlap = !pool.empty();
  size_t freed = 0;  // chunks before this one have had their entries freed (or not yet)
  auto free_done = [&] {
    for (; freed < chunks.size() && chunks[freed]->done.load(std::memory_order_acquire); ++freed) {
      std::vector<store::StoredEntry>().swap(chunks[freed]->entries);
    }
  };
  auto current = std::make_unique<Chunk>();
  auto hand_over = [&] {
    Chunk* c = current.get();
    chunks.push_back(std::move(current));
    current = std::make_unique<Chunk>();
    if (overlap)
      queue.Push(c);
    else
      decrypt(*c);
    free_done();
  };
  store::EntryFilter f;
  f.kind = uint8_t(store::Kind::kData);
  Status scanned = log_.ForEach(f, [&](store::StoredEntry& se) {
    if (se.status != store::EntryStatus::kAccepted) return Status::Ok();
    auto it = index.find(se.entry.header.case_id);
    if (it == index.end()) return Status::Ok();
    current->case_index.push_back(it->second);
    current->ids.push_back(se.entry.id);
    current->entries.push_back(std::move(se));
    if (current->entries.size() == kScanChunk) hand_over();
    return Status::Ok();
  });
  if (!current->entries.empty()) hand_over();
  // The scanning thread helps with what is still queued, then waits for the others.
  while (Chunk* c = queue.Pop(/*wait=*/false)) decrypt(*c);
  queue.Close();
  for (auto& th : pool) th.join();
  free_done();
  FC_RETURN_IF_ERROR(scanned);

  // Whole cases to threads: each merges its cases and builds their views.
  std::vector<CaseState> states(index.size());
  for (auto& c : chunks) {
    for (size_t i = 0; i < c->decoded.size(); ++i) {
      CaseState& st = states[c->case_index[i]];
      if (c->decoded[i])
        st.Apply(std::move(*c->decoded[i]));
      else
        st.AddUndecryptable(c->ids[i]);
    }
    c.reset();
  }
  std::vector<CaseRecord> out(index.size());
  for (const auto& [c, i] : index) out[i].case_id = c;
  std::atomic<size_t> next{0};
  auto build = [&] {
    for (size_t i = next++; i < states.size(); i = next++)
      out[i].view = std::move(states[i]).View();
  };
  std::vector<std::thread> builders;
  for (int t = 1; t < std::max(1, threads); ++t) builders.emplace_back(build);
  build();
  for (auto& th : builders) th.join();
  return out;
}

Result<std::vector<HistoryLine>> CaseReader::History(const Id128& case_id) const {
  FC_RETURN_IF_ERROR(ring_.EnsureCase(case_id));
  std::vector<HistoryLine> lines;
  store::EntryFilter f;
  f.case_id = case_id;
  CaseState state;
  FC_RETURN_IF_ERROR(log_.ForEach(f, [&](const store::StoredEntry& se) {
    HistoryLine l;
    const store::Header& h = se.entry.header;
    static_cast<record::EntryStamp&>(l) = record::StampOf(se.entry);
    l.kind = h.kind;
    l.future_dated = record::IsFutureDated(h.hlc, uint64_t(se.received_ms));
    l.status = se.status;
    // Only accepted entries are in views (and supersede anything); the others are listed
    // with their status.
    if (h.kind == uint8_t(store::Kind::kData)) {
      auto r = Decrypt(se);
      if (r.ok()) {
        l.op = r->op;
        if (se.status == store::EntryStatus::kAccepted) state.Apply(std::move(r).value());
      }
    }
    lines.push_back(std::move(l));
    return Status::Ok();
  }));
  // Who superseded what comes from the view's history, so it follows the merge rules.
  record::CaseView v = std::move(state).View();
  std::map<Id, std::vector<Id>> superseded;
  for (auto& [name, field] : v.fields)
    for (auto& item : field.history) superseded[item.set.id] = item.superseded_by;
  for (auto& item : v.status.history) superseded[item.set.id] = item.superseded_by;
  for (auto& l : lines) {
    auto it = superseded.find(l.id);
    if (it != superseded.end()) l.superseded_by = it->second;
  }
  std::sort(lines.begin(), lines.end(),
            [](const HistoryLine& a, const HistoryLine& b) { return record::CanonicalLess(a, b); });
  return lines;
}

Result<std::vector<Id>> CaseReader::LiveTagAdds(const Id128& case_id,
                                                const std::string& tag) const {
  FC_RETURN_IF_ERROR(ring_.EnsureCase(case_id));
  std::vector<store::StoredEntry> entries;
  FC_RETURN_IF_ERROR(Collect(case_id, entries));
  std::set<Id> adds, removed;
  for (const auto& se : entries) {
    auto r = Decrypt(se);
    if (!r.ok()) continue;
    if (const auto* t = std::get_if<record::Tag>(&r->op); t && t->tag == tag) adds.insert(r->id);
    if (const auto* u = std::get_if<record::Untag>(&r->op); u && u->tag == tag) {
      removed.insert(u->removes.begin(), u->removes.end());
    }
  }
  std::vector<Id> live;
  for (const Id& id : adds)
    if (!removed.count(id)) live.push_back(id);
  return live;
}

}  // namespace fieldcase::node
