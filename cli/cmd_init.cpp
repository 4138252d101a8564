#include <cstdio>

#include "commands.h"
#include "format.h"
#include "fieldcase/base/json.h"
#include "passphrase_input.h"

namespace fieldcase::cli {

namespace {

Result<crypto::SecretBytes> NewPassphrase(const Args& a) {
  PassphraseSource src;
  src.file = a.Get("passphrase-file");
  src.prompt = "New passphrase for this device: ";
  src.confirm = true;
  src.new_passphrase = true;
  FC_ASSIGN_OR_RETURN(crypto::SecretBytes pass, ReadPassphrase(src));
  if (auto weak = crypto::PassphraseWeakness(AsChars(pass.view())); !weak.empty()) {
    return Status::InvalidArgument(weak + "; nothing was written");
  }
  return pass;
}

crypto::KdfCost Cost(const Args& a) {
  return a.Has("insecure-fast-kdf") ? crypto::KdfCost::kInsecureFast : crypto::KdfCost::kModerate;
}

int InitDevice(Context& c) {
  auto pass = NewPassphrase(c.args());
  if (!pass.ok()) return Fail(pass.status());
  auto node = node::Node::InitDevice(c.dir(), *pass, Cost(c.args()));
  if (!node.ok()) return Fail(node.status());
  std::string key = ToHex(*(*node)->device_key());
  if (c.json()) {
    std::printf("{\"device\":\"%s\",\"data\":\"%s\"}\n", key.c_str(),
                JsonEscape(c.dir().root.string()).c_str());
    return kExitOk;
  }
  std::printf(
      "Device keys made in %s (device key %s).\n"
      "Next: fieldcase enrol-request --name \"YOUR NAME\" --out request.fcreq, and give\n"
      "the file to an administrator.\n",
      c.dir().root.string().c_str(), key.substr(0, 16).c_str());
  return kExitOk;
}

}  // namespace

int RunInit(Context& c) {
  const Args& a = c.args();
  auto org = a.Get("org");
  if (!org) return InitDevice(c);
  auto pass = NewPassphrase(a);
  if (!pass.ok()) return Fail(pass.status());
  PassphraseSource rec_src;
  rec_src.file = a.Get("recovery-passphrase-file");
  rec_src.env_var = "FIELDCASE_RECOVERY_PASSPHRASE";
  rec_src.prompt = "New passphrase for the recovery secret (held offline by its custodian): ";
  rec_src.confirm = true;
  rec_src.new_passphrase = true;
  auto rec_pass = ReadPassphrase(rec_src);
  if (!rec_pass.ok()) return Fail(rec_pass.status());
  if (auto weak = crypto::PassphraseWeakness(AsChars(rec_pass->view())); !weak.empty()) {
    return Fail(Status::InvalidArgument("recovery " + weak + "; nothing was written"));
  }
  if (crypto::ConstantTimeEqual(pass->view(), rec_pass->view())) {
    return Fail(Status::InvalidArgument(
        "the recovery passphrase must differ from the device passphrase; nothing was written"));
  }
  node::FoundOptions opt;
  opt.org_name = *org;
  opt.person_name = a.Get("name").value_or("");
  opt.badge = a.Get("badge").value_or("");
  opt.cost = Cost(a);
  opt.recovery_out =
      a.Get("recovery-out").value_or((c.dir().root / "recovery.fcrecovery").string());
  auto node = node::Node::Found(c.dir(), opt, *pass, *rec_pass, Context::NowMs());
  if (!node.ok()) return Fail(node.status());
  const node::Node& n = **node;
  if (auto root_out = a.Get("root-out")) {
    if (Status s = ExportRootKeyTo(n, a, *root_out, *pass, Cost(a)); !s.ok()) {
      return Fail(Status::IOError("the organisation is founded, but the root key file was not "
                                  "written (" +
                                  s.message() +
                                  "); write it with `fieldcase org export-root --out FILE`"));
    }
  }
  if (c.json()) {
    Json j;
    j.BeginObject().Field("org", n.org_name()).Field("org_id", ToHex(n.org_id()));
    j.Field("data", c.dir().root.string()).Field("recovery_file", opt.recovery_out.string());
    j.Key("keys").BeginArray();
    for (auto& [role, pk] : n.own_keys()) {
      j.BeginObject().Field("role", org::ToString(role)).Field("key", ToHex(pk)).EndObject();
    }
    j.EndArray().EndObject();
    std::puts(j.str().c_str());
    return kExitOk;
  }
  std::printf("Founded organisation \"%s\" (org id %s)\n", Safe(n.org_name()).c_str(),
              ShortHex(n.org_id(), 16).c_str());
  std::printf("Data folder: %s\n", c.dir().root.string().c_str());
  for (auto& [role, pk] : n.own_keys()) {
    std::printf("  %-10s key %s\n", org::ToString(role), ShortHex(pk, 16).c_str());
  }
  std::printf("Recovery secret written to %s\n", opt.recovery_out.string().c_str());
  std::printf(
      "  Move it offline to its custodian: with its passphrase it can read every\n"
      "  restricted case. Then open a case: fieldcase case open --template stalking\n");
  return kExitOk;
}

}  // namespace fieldcase::cli
