// Commands that shape the organisation: enrol-request, org enrol, join, org members,
// org revoke, org accept-up-to, backup.
#include <algorithm>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "commands.h"
#include "confirm.h"
#include "fieldcase/store/keystore.h"
#include "format.h"
#include "fieldcase/base/json.h"
#include "passphrase_input.h"

namespace fieldcase::cli {

namespace {
constexpr size_t kMaxResponseFile = size_t(2) << 30;

Status WriteOut(const std::string& path, ByteView bytes) {
  if (std::filesystem::exists(path)) {
    return Status::InvalidArgument(path + " already exists; choose another --out");
  }
  return store::WriteFileAtomic(path, bytes);
}
}  // namespace

int RunEnrolRequest(Context& c) {
  auto out = c.args().Get("out");
  if (!out) return Fail(Status::InvalidArgument("`enrol-request` needs --out FILE"));
  if (std::filesystem::exists(*out)) {
    return Fail(Status::InvalidArgument(*out + " already exists; choose another --out"));
  }
  std::optional<crypto::SecretBytes> pass;
  auto node = c.Unlock(&pass);
  if (!node.ok()) return Fail(node.status());
  std::string name = c.args().Get("name").value_or(""), badge = c.args().Get("badge").value_or("");
  std::optional<PublicKey> replaces;
  if (auto r = c.args().Get("replaces")) {
    PublicKey k{};
    if (!FromHex(*r, k)) {
      return Fail(Status::InvalidArgument("--replaces takes the lost device's key: 64 hex digits "
                                          "(an administrator's `fieldcase org members --json`)"));
    }
    replaces = k;
  }
  auto req = c.args().Has("successor") ? (*node)->MakeSuccessorRequest(name, badge, *pass)
                                       : (*node)->MakeEnrolRequest(name, badge, replaces);
  if (!req.ok()) return Fail(req.status());
  if (Status s = WriteOut(*out, *req); !s.ok()) return Fail(s);
  const std::string fp = org::RequestFingerprint(*req);
  if (c.json()) {
    Json j;
    j.BeginObject().Field("request", *out).Field("device", ToHex(*(*node)->device_key()));
    j.Field("request_fingerprint", fp).EndObject();
    std::puts(j.str().c_str());
    return kExitOk;
  }
  std::printf(
      "Enrolment request written to %s (device key %s).\n"
      "Request fingerprint: %s\n"
      "Give it to an administrator; they run `fieldcase org enrol %s --role ROLE` and read\n"
      "this fingerprint back to you before they sign anything.\n",
      out->c_str(), ShortHex(*(*node)->device_key(), 16).c_str(), fp.c_str(), out->c_str());
  return kExitOk;
}

int RunOrgEnrol(Context& c) {
  const bool reissue = c.args().Has("reissue");
  auto role_name = c.args().Get("role");
  auto out = c.args().Get("out");
  if (!out || (!role_name && !reissue))
    return Fail(Status::InvalidArgument("`org enrol` needs --role ROLE and --out FILE"));
  std::optional<org::Role> role;
  if (role_name) {
    role = org::ParseRole(*role_name);
    if (!role || *role == org::Role::kRoot) {
      return Fail(
          Status::InvalidArgument("--role takes officer, supervisor, admin, hub or auditor"));
    }
  }
  if (std::filesystem::exists(*out)) {
    return Fail(Status::InvalidArgument(*out + " already exists; choose another --out"));
  }
  // Before anything is signed: a response that cannot be written would leave an enrolment
  // without its response (`--reissue` makes it again, but better not to need it).
  {
    const std::filesystem::path parent =
        std::filesystem::path(*out).parent_path().empty() ? "."
                                                          : std::filesystem::path(*out).parent_path();
    if (::access(parent.c_str(), W_OK) != 0) {
      return Fail(Status::IOError("cannot write in " + parent.string() + " (" +
                                  std::strerror(errno) + "); choose another --out"));
    }
  }
  auto bytes = store::ReadFileBounded(c.args().positional()[0], org::kMaxRequestBytes,
                                      org::kRequestFileMagic, "enrolment request");
  if (!bytes.ok()) return Fail(bytes.status());
  auto req = org::DecodeEnrolRequest(*bytes);
  if (!req.ok()) return Fail(req.status());
  auto node = c.Unlock();
  if (!node.ok()) return Fail(node.status());
  // Names and badges are checked printable text (org/enrolment.h): they cannot paint a
  // fake prompt or fingerprint here.
  const std::string request_fp = org::RequestFingerprint(*bytes);
  // --reissue takes no --role: the response repeats the certificate already written.
  const std::string asks_as =
      role_name ? "asks to join as " + *role_name : "is already enrolled; its response is written again";
  std::fprintf(stderr, "Device %s%s %s.\nRequest fingerprint: %s\n",
               req->name.empty() ? "" : (req->name + " ").c_str(),
               req->badge.empty() ? "" : ("(badge " + req->badge + ")").c_str(), asks_as.c_str(),
               request_fp.c_str());
  std::optional<PublicKey> confirmed;
  if (req->successor_of) {
    std::string who = ShortHex(*req->successor_of, 16);
    auto m = (*node)->members().find(*req->successor_of);
    if (m != (*node)->members().end() && m->second.personal && !m->second.personal->name.empty()) {
      who = Safe(m->second.personal->name) + "'s device " + who;
    }
    std::fprintf(stderr, "It asks to replace %s (%s).\n", who.c_str(),
                 req->vouched ? "that device signed the request"
                              : "NOT signed by that device: only for a lost device");
    if (auto r = c.args().Get("replaces")) {
      auto k = (*node)->ResolveMember(*r);
      if (!k.ok()) return Fail(k.status());
      confirmed = *k;
    }
  }
  if (!c.args().Has("yes")) {
    if (Status s = Confirm("Does the device show the same request fingerprint?"); !s.ok())
      return Fail(s);
  }
  auto outcome = reissue ? (*node)->ReissueEnrolment(*req, Context::NowMs())
                         : (*node)->Enrol(*req, *role, Context::NowMs(), confirmed);
  if (!outcome.ok()) {
    if (!reissue && outcome.status().IsNotPermitted() &&
        (*node)->members().count(req->signing_key)) {
      return Fail(Status::NotPermitted(
          outcome.status().message() + "; to write its response again: `fieldcase org enrol " +
          c.args().positional()[0] + " --reissue --out FILE`"));
    }
    return Fail(outcome.status());
  }
  if (!role) role = (*node)->members().at(req->signing_key).role;
  const std::string role_text = org::ToString(*role);
  role_name = role_text;
  if (Status s = WriteOut(*out, outcome->response); !s.ok()) {
    return Fail(Status::IOError(s.message() +
                                "; the device is enrolled: write its response with `fieldcase "
                                "org enrol " +
                                c.args().positional()[0] + " --reissue --out OTHER-FILE`"));
  }
  // The device compares this with what `join` shows: the response is signed by this key.
  const std::string fp = org::Fingerprint((*node)->org_id(), outcome->administrator);
  if (c.json()) {
    Json j;
    j.BeginObject().Field("device", ToHex(req->signing_key)).Field("role", *role_name);
    j.Field("request_fingerprint", request_fp).Field("fingerprint", fp);
    j.Field("certificate", ToHex(outcome->certificate));
    j.FieldBool("team_key_granted", outcome->team_key_granted).Field("response", *out).EndObject();
    std::puts(j.str().c_str());
    return kExitOk;
  }
  std::printf("Enrolled as %s. Response written to %s; the device runs `fieldcase join %s`.\n"
              "Administrator fingerprint: %s (read it to the device's user when they join)\n",
              role_name->c_str(), out->c_str(), out->c_str(), fp.c_str());
  if ((*role == org::Role::kOfficer || *role == org::Role::kSupervisor) &&
      !outcome->team_key_granted) {
    std::printf(
        "This node holds no supervisor key: a supervisor grants the team key at its next sync.\n");
  }
  return kExitOk;
}

int RunJoin(Context& c) {
  auto bytes = store::ReadFileBounded(c.args().positional()[0], kMaxResponseFile,
                                      org::kResponseFileMagic, "enrolment response");
  if (!bytes.ok()) return Fail(bytes.status());
  auto resp = org::DecodeEnrolResponse(*bytes);
  if (!resp.ok()) return Fail(resp.status());
  std::optional<crypto::SecretBytes> pass;
  auto node = c.Unlock(&pass);
  if (!node.ok()) return Fail(node.status());
  // Node::Join refuses a response for another device, or a second join (a join that was
  // cut short is finished by the same response).
  std::fprintf(stderr, "Administrator fingerprint: %s\n",
               org::Fingerprint(resp->org_id, resp->signer).c_str());
  if (!c.args().Has("yes")) {
    if (Status s = Confirm("Does the administrator's screen show the same fingerprint?"); !s.ok())
      return Fail(s);
  }
  if (Status s = (*node)->Join(*resp, *pass, Context::NowMs()); !s.ok()) return Fail(s);
  auto found = (*node)->members().find(resp->device);
  if (found == (*node)->members().end())
    return Fail(Status::Corruption("joined, but this device's certificate is not counted"));
  const auto* me = &found->second;
  if (c.json()) {
    Json j;
    j.BeginObject().Field("org", (*node)->org_name()).Field("org_id", ToHex((*node)->org_id()));
    j.Field("role", org::ToString(me->role)).EndObject();
    std::puts(j.str().c_str());
    return kExitOk;
  }
  std::printf("Joined \"%s\" as %s.\n", Safe((*node)->org_name()).c_str(),
              org::ToString(me->role));
  return kExitOk;
}

int RunOrgMembers(Context& c) {
  auto node = c.Unlock();
  if (!node.ok()) return Fail(node.status());
  Json j;
  j.BeginArray();
  for (const auto& v : (*node)->Members()) {
    const auto& m = v.member;
    std::string name = m.personal ? m.personal->name : "";
    std::string badge = m.personal ? m.personal->badge : "";
    if (c.json()) {
      j.BeginObject().Field("key", ToHex(m.key)).Field("role", org::ToString(m.role));
      j.Field("name", name).Field("badge", badge).FieldBool("revoked", v.revoked);
      j.FieldBool("this_device", v.is_this_device);
      if (m.predecessor) j.Field("succeeds", ToHex(*m.predecessor));
      j.EndObject();
      continue;
    }
    const std::string succeeds =
        m.predecessor ? "  succeeds " + ShortHex(*m.predecessor, 16) : std::string();
    std::printf("%-10s %s  %-20s %-8s%s%s%s\n", org::ToString(m.role), ShortHex(m.key, 16).c_str(),
                name.empty() ? "(name sealed)" : Safe(name).c_str(), Safe(badge).c_str(),
                v.revoked ? "  REVOKED" : "", v.is_this_device ? "  (this device)" : "",
                succeeds.c_str());
  }
  j.EndArray();
  if (c.json()) std::puts(j.str().c_str());
  return kExitOk;
}

namespace {
int CutOff(Context& c, bool accept) {
  auto node = c.Unlock();
  if (!node.ok()) return Fail(node.status());
  auto device = (*node)->ResolveMember(c.args().positional()[0]);
  if (!device.ok()) return Fail(device.status());
  Result<node::RevokeOutcome> done = Status::InvalidArgument("");
  if (accept) {
    auto seq = c.args().Get("seq");
    if (!seq || seq->empty() || seq->size() > 19 ||
        seq->find_first_not_of("0123456789") != std::string::npos) {
      return Fail(Status::InvalidArgument("`org accept-up-to` needs --seq N"));
    }
    auto id = (*node)->AcceptUpTo(*device, std::stoull(*seq), Context::NowMs());
    if (!id.ok()) return Fail(id.status());
    done = node::RevokeOutcome{*id, false};
  } else {
    const org::MemberView* target = nullptr;
    auto members = (*node)->Members();
    for (const auto& v : members)
      if (v.member.key == *device) target = &v;
    const std::string who =
        (target && target->member.personal ? Safe(target->member.personal->name) + " " : "") +
        "(" + (target ? org::ToString(target->member.role) : "member") + " " +
        ShortHex(*device, 16) + ")";
    if (target && target->revoked) {
      // Already done: said, not written twice.
      if (c.json()) {
        std::printf("{\"device\":\"%s\",\"already_revoked\":true}\n", ToHex(*device).c_str());
      } else {
        std::printf("%s is already revoked; nothing was written.\n", who.c_str());
      }
      return kExitOk;
    }
    if (!c.args().Has("yes")) {
      Status s = Confirm("Revoke " + who +
                             "? Its entries after what this node holds are quarantined on every "
                             "device, and the keys it could read are rotated.",
                         "check that this is the device to revoke");
      if (!s.ok()) return Fail(s);
    }
    done = (*node)->RevokeAndRotate(*device, Context::NowMs());
  }
  if (!done.ok()) return Fail(done.status());
  const Id* id = &done->entry;
  const bool rotated = done->team_key_rotated;
  if (c.json()) {
    std::printf("{\"entry\":\"%s\",\"device\":\"%s\"}\n", ToHex(*id).c_str(),
                ToHex(*device).c_str());
  } else {
    std::printf("%s %s (entry %s)\n", accept ? "Extended the cut-off of" : "Revoked",
                ShortHex(*device, 16).c_str(), ShortHex(*id, 16).c_str());
    if (rotated)
      std::printf("Wrote a new team key generation without that device.\n");
    else if (!accept)
      std::printf("A supervisor should run `fieldcase org rotate-team-key`.\n");
  }
  return kExitOk;
}
}  // namespace

int RunOrgRevoke(Context& c) { return CutOff(c, false); }
int RunOrgAcceptUpTo(Context& c) { return CutOff(c, true); }

int RunOrgRotateTeamKey(Context& c) {
  auto node = c.Unlock();
  if (!node.ok()) return Fail(node.status());
  auto id = (*node)->RotateTeamKey(Context::NowMs());
  if (!id.ok()) return Fail(id.status());
  return PrintWritten(c, ByteView(*id), "Wrote a new team key generation", "key_id");
}

int RunRecover(Context& c) {
  auto file = c.args().Get("recovery-file");
  if (!file || !c.args().Has("to")) {
    return Fail(Status::InvalidArgument("`recover` needs --recovery-file FILE and --to PERSON"));
  }
  PassphraseSource src;
  src.file = c.args().Get("recovery-passphrase-file");
  src.env_var = "FIELDCASE_RECOVERY_PASSPHRASE";
  src.prompt = "Recovery passphrase: ";
  auto rpass = ReadPassphrase(src);
  if (!rpass.ok()) return Fail(rpass.status());
  auto recovery = node::OpenRecoveryFile(*file, *rpass);
  if (!recovery.ok()) return Fail(recovery.status().Prefixed("recovery file"));
  auto node = c.Unlock();
  if (!node.ok()) return Fail(node.status());
  auto id = (*node)->ResolveCase(c.args().positional()[0]);
  if (!id.ok()) return Fail(id.status());
  auto persons = c.PersonsFromTo(**node);
  if (!persons.ok()) return Fail(persons.status());
  return PrintWritten(
      c, (*node)->Recover(*id, *persons, std::move(recovery).value(), Context::NowMs()),
      "Granted the case key");
}

int RunBackup(Context& c) {
  auto to = c.args().Get("to");
  if (!to) return Fail(Status::InvalidArgument("`backup` needs --to DIR"));
  auto node = c.Unlock();
  if (!node.ok()) return Fail(node.status());
  if (Status s = (*node)->Backup(*to); !s.ok()) return Fail(s);
  if (c.json()) {
    Json j;
    j.BeginObject().Field("backup", (std::filesystem::path(*to) / "fieldcase.db").string());
    j.Key("left_out").BeginArray().String("keystore").EndArray().EndObject();
    std::puts(j.str().c_str());
    return kExitOk;
  }
  std::printf(
      "Backed up the log to %s/fieldcase.db.\n"
      "Left out: the keystore (signing keys, the device key, the directory key). Keep your own\n"
      "copy of %s offline; a log restored without it reads nothing encrypted, and a log\n"
      "restored with it writes again only after a successor enrolment.\n",
      Safe(*to).c_str(), Safe(c.dir().keystore().string()).c_str());
  return kExitOk;
}

}  // namespace fieldcase::cli

namespace fieldcase::cli {

namespace {
// The root key file's passphrase: its own, never the device's (like the recovery secret).
Result<crypto::SecretBytes> RootPassphrase(const Args& a, bool fresh) {
  PassphraseSource src;
  src.file = a.Get("root-passphrase-file");
  src.env_var = "FIELDCASE_ROOT_PASSPHRASE";
  src.prompt = fresh ? "New passphrase for the root key file (held offline): "
                     : "Root key file passphrase: ";
  src.confirm = fresh;
  src.new_passphrase = fresh;
  FC_ASSIGN_OR_RETURN(crypto::SecretBytes pass, ReadPassphrase(src));
  if (fresh) {
    if (auto weak = crypto::PassphraseWeakness(AsChars(pass.view())); !weak.empty()) {
      return Status::InvalidArgument("root key file " + weak + "; nothing was written");
    }
  }
  return pass;
}
}  // namespace

Status ExportRootKeyTo(const node::Node& node, const Args& a, const std::string& out,
                       const crypto::SecretBytes& device_passphrase, crypto::KdfCost cost) {
  if (std::filesystem::exists(out)) {
    return Status::InvalidArgument(out + " already exists; choose another --root-out");
  }
  FC_ASSIGN_OR_RETURN(crypto::SecretBytes pass, RootPassphrase(a, /*fresh=*/true));
  if (crypto::ConstantTimeEqual(pass.view(), device_passphrase.view())) {
    return Status::InvalidArgument(
        "the root key file's passphrase must differ from the device passphrase");
  }
  FC_ASSIGN_OR_RETURN(Bytes file, node.ExportRootKey(pass, cost));
  return store::WriteFileAtomic(out, file);
}

int RunOrgExportRoot(Context& c) {
  auto out = c.args().Get("out");
  if (!out) return Fail(Status::InvalidArgument("`org export-root` needs --out FILE"));
  std::optional<crypto::SecretBytes> pass;
  auto node = c.Unlock(&pass);
  if (!node.ok()) return Fail(node.status());
  if (Status s = ExportRootKeyTo(**node, c.args(), *out, *pass, crypto::KdfCost::kModerate);
      !s.ok())
    return Fail(s);
  if (c.json()) {
    std::puts(Json().BeginObject().Field("root_key_file", *out).EndObject().str().c_str());
    return kExitOk;
  }
  std::printf("Root key written to %s, sealed under its own passphrase. Keep it offline, apart\n"
              "from the recovery file; `fieldcase org restore-root` brings it back on a member "
              "device.\n",
              Safe(*out).c_str());
  return kExitOk;
}

int RunOrgRestoreRoot(Context& c) {
  const std::string path = c.args().positional()[0];
  auto file = store::ReadFileBounded(path, 4096);
  if (!file.ok()) return Fail(file.status());
  std::optional<crypto::SecretBytes> pass;
  auto node = c.Unlock(&pass);
  if (!node.ok()) return Fail(node.status());
  if (!c.args().Has("yes")) {
    // Two devices signing with one key fork its chain, and every root entry after the fork
    // is quarantined everywhere.
    Status s = Confirm("Is the device that held this root key lost or retired? Two devices "
                       "writing with one key fork its chain.",
                       "make sure the device that held the root key is gone");
    if (!s.ok()) return Fail(s);
  }
  auto root_pass = RootPassphrase(c.args(), /*fresh=*/false);
  if (!root_pass.ok()) return Fail(root_pass.status());
  if (Status s = (*node)->RestoreRootKey(*file, *root_pass, *pass); !s.ok()) return Fail(s);
  if (c.json()) {
    std::puts(Json().BeginObject().FieldBool("root_key_restored", true).EndObject().str().c_str());
    return kExitOk;
  }
  std::printf("This device now holds the organisation's root key: it can enrol and revoke\n"
              "administrators (`fieldcase org enrol REQUEST --role admin`).\n");
  return kExitOk;
}

}  // namespace fieldcase::cli
