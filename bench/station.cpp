#include "station.h"

#include <filesystem>

#include "fieldcase/org/enrolment.h"

namespace fieldcase::bench {

namespace {

constexpr int64_t kCases = 100;
constexpr int kOfficers = 9;
constexpr int64_t kBatch = 1000;

Result<std::unique_ptr<node::Node>> Enrol(node::Node& hq, const std::filesystem::path& dir,
                                          const std::string& name) {
  FC_ASSIGN_OR_RETURN(auto dev, node::Node::InitDevice({dir}, BenchPassphrase(),
                                                        crypto::KdfCost::kInsecureFast));
  FC_ASSIGN_OR_RETURN(Bytes req, dev->MakeEnrolRequest(name, "B-" + name));
  FC_ASSIGN_OR_RETURN(auto request, org::DecodeEnrolRequest(req));
  FC_ASSIGN_OR_RETURN(auto out, hq.Enrol(request, org::Role::kOfficer, WallMs()));
  FC_ASSIGN_OR_RETURN(auto response, org::DecodeEnrolResponse(out.response));
  FC_RETURN_IF_ERROR(dev->Join(response, BenchPassphrase(), WallMs()));
  return dev;
}

}  // namespace

Status WriteNotes(node::Node& author, const std::vector<Id128>& cases, int64_t first, int64_t n) {
  static const NoteTexts texts;
  std::vector<std::pair<Id128, record::Op>> ops;
  for (int64_t done = 0; done < n;) {
    const int64_t k = std::min(kBatch, n - done);
    ops.clear();
    for (int64_t i = first + done; i < first + done + k; ++i) {
      ops.emplace_back(cases[size_t(i) % cases.size()], texts.Note(i));
    }
    FC_RETURN_IF_ERROR(CheckInterrupted());
    FC_RETURN_IF_ERROR(author.WriteBatch(ops, WallMs()).status());
    done += k;
  }
  return Status::Ok();
}

Result<Station> BuildStation(const Options& o) {
  Station s;
  FC_ASSIGN_OR_RETURN(s.tmp, TempDir::Create(o.tmp_parent));
  Say("founding an org, enrolling 9 officers and a device…");
  FC_ASSIGN_OR_RETURN(s.hq, FoundOrg(*s.tmp, crypto::KdfCost::kInsecureFast));
  for (int64_t c = 0; c < kCases; ++c) {
    FC_ASSIGN_OR_RETURN(Id128 id, s.hq->OpenCase(StalkingCase(), WallMs()));
    s.cases.push_back(id);
  }
  std::vector<std::unique_ptr<node::Node>> officers;
  for (int i = 0; i < kOfficers; ++i) {
    const std::string name = "officer" + std::to_string(i);
    FC_ASSIGN_OR_RETURN(auto dev, Enrol(*s.hq, s.tmp->path() / name, name));
    officers.push_back(std::move(dev));
  }
  {
    FC_ASSIGN_OR_RETURN(auto device, Enrol(*s.hq, s.tmp->path() / "device", "device"));
  }  // closed: its folder can be copied
  std::filesystem::copy(s.tmp->path() / "device", s.tmp->path() / "device-template",
                        std::filesystem::copy_options::recursive);
  // Ten authors: HQ and each officer write a tenth; the officers' notes reach HQ by bundle.
  const int64_t share = o.count / (kOfficers + 1);
  Progress progress("writing " + std::to_string(o.count) + " notes from 10 authors", o.count);
  int64_t written = 0;
  for (auto& officer : officers) {
    FC_RETURN_IF_ERROR(WriteNotes(*officer, s.cases, written, share));
    FC_ASSIGN_OR_RETURN(auto bundle, officer->ExportBundle({}, WallMs()));
    FC_RETURN_IF_ERROR(s.hq->ImportBundle(bundle.file, WallMs()).status());
    written += share;
    progress.Update(written);
  }
  FC_RETURN_IF_ERROR(WriteNotes(*s.hq, s.cases, written, o.count - written));
  progress.Update(o.count);
  s.notes = o.count;
  return s;
}

Result<std::unique_ptr<node::Node>> FreshDevice(Station& s) {
  const auto dir = s.tmp->path() / ("device-run" + std::to_string(++s.runs_started));
  std::error_code ec;
  std::filesystem::copy(s.tmp->path() / "device-template", dir,
                        std::filesystem::copy_options::recursive, ec);
  if (ec) return Status::IOError("copying the device folder: " + ec.message());
  return node::Node::Unlock({dir}, BenchPassphrase());
}

}  // namespace fieldcase::bench
