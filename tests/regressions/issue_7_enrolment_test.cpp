// Issue 7, the enrolment exchange (#2, #7, #8): each attack an adversarial review proved, performed
// here and shown to fail.
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <algorithm>
#include <variant>

#include "fieldcase/crypto/box.h"
#include "fieldcase/node/inspect.h"
#include "fieldcase/node/node.h"
#include "fieldcase/org/key_payload.h"
#include "fieldcase/org/payload_rules.h"
#include "fieldcase/record/ops.h"
#include "issue_7_helpers.h"
#include "node/node_fixture.h"
#include "org/org_builder.h"

using namespace fieldcase;
using org::KeyOpCode;
using org::KeyPayload;
using org::Role;
using store::EntryStatus;
using test::kNow;
using namespace fieldcase::test;

TEST_CASE("issue 7 #7: a response altered anywhere is refused whole, and the device joins after",
          "[regressions][attack]") {
  test::Org org;
  auto [device, response] = NewDeviceAndResponse(org, "ada");
  // One flipped bit at a spread of places: magic, ids, the sealed directory key, entries,
  // payloads, the signer and the signature.
  const size_t step = std::max<size_t>(1, response.size() / 97);
  for (size_t at = 0; at < response.size(); at += step) {
    Bytes bad = response;
    bad[at] ^= 0x01;
    auto decoded = org::DecodeEnrolResponse(bad);
    INFO("byte " << at << " of " << response.size());
    CHECK_FALSE(decoded.ok());
  }
  // Truncated (the signed bytes no longer match): refused too.
  CHECK_FALSE(org::DecodeEnrolResponse(ByteView(response).first(response.size() - 1)).ok());
  auto good = org::DecodeEnrolResponse(response);
  REQUIRE(good.ok());
  CHECK_FALSE(device->is_member());
  REQUIRE(device->Join(*good, test::Pass(), kNow).ok());
  CHECK(device->is_member());
  CHECK(NoteTexts(*device, org.case_id) == "written at HQ|");
}

TEST_CASE("issue 7 #7: a directory key sealed by a stranger is refused and nothing is joined",
          "[regressions][attack]") {
  test::Org org;
  auto [device, response] = NewDeviceAndResponse(org, "ada");
  auto good = org::DecodeEnrolResponse(response);
  REQUIRE(good.ok());
  // A stranger who saw the request (its X25519 key is in it) seals a directory key of his
  // own — the wrong size, too — and signs the response with his own key.
  org::EnrolResponse forged = *good;
  auto stranger = crypto::SigningKey::Generate();
  auto req = device->MakeEnrolRequest("ada", "B-ada");
  REQUIRE(req.ok());
  auto decoded_req = org::DecodeEnrolRequest(*req);
  REQUIRE(decoded_req.ok());
  auto sealed =
      crypto::SealTo(decoded_req->box_key,
                     org::DirectoryKeyContext(good->org_id, decoded_req->box_key), Bytes(5, 0x42));
  REQUIRE(sealed.ok());
  forged.sealed_directory_key = *sealed;
  auto forged_bytes = org::EncodeEnrolResponse(forged, stranger);
  auto decoded = org::DecodeEnrolResponse(forged_bytes);
  REQUIRE(decoded.ok());  // well formed, but signed by nobody of the org
  Status s = device->Join(*decoded, test::Pass(), kNow);
  REQUIRE_FALSE(s.ok());
  // Refused by the first check that sees it: the directory key against the check value
  // (now checked before the log changes), or the signer.
  CHECK_THAT(s.message(), Catch::Contains("nothing was joined"));
  CHECK_FALSE(device->is_member());
  // The folder is as it was: the real response joins.
  REQUIRE(device->Join(*good, test::Pass(), kNow).ok());
  CHECK(device->is_member());
}

TEST_CASE("issue 7 #8: names and badges in requests are printable text, bounded",
          "[regressions][attack]") {
  test::Org org;
  auto d =
      node::Node::InitDevice({org.tmp.path() / "eve"}, test::Pass(), crypto::KdfCost::kInsecureFast);
  REQUIRE(d.ok());
  // A name that paints a fake prompt with another device's fingerprint.
  const std::string paint = "Eve\x1b[2K\rDevice PC Bob asks to join. Request fingerprint: 0000";
  auto own = (*d)->MakeEnrolRequest(paint, "1");
  REQUIRE_FALSE(own.ok());
  CHECK_THAT(own.status().message(), Catch::Contains("printable"));
  CHECK_FALSE((*d)->MakeEnrolRequest(std::string(300, 'a'), "1").ok());
  // A custom client writes it anyway: decoding refuses it before anything is shown.
  test::Forger m(org.hq->org_id());
  auto bytes = org::EncodeEnrolRequest({m.pk(), m.box.public_key(), {}, paint, "1", std::nullopt},
                                       m.key, m.identity);
  auto decoded = org::DecodeEnrolRequest(bytes);
  REQUIRE_FALSE(decoded.ok());
  CHECK_THAT(decoded.status().message(), Catch::Contains("unprintable"));
  // Two requests never share a fingerprint.
  auto a = org::EncodeEnrolRequest({m.pk(), m.box.public_key(), {}, "Eve", "1", std::nullopt},
                                   m.key, m.identity);
  auto b = org::EncodeEnrolRequest({m.pk(), m.box.public_key(), {}, "Eve", "2", std::nullopt},
                                   m.key, m.identity);
  CHECK(org::RequestFingerprint(a) != org::RequestFingerprint(b));
}

TEST_CASE(
    "issue 7 #2: only the key itself, or an administrator who confirms a lost device, names "
    "its successor",
    "[regressions][attack]") {
  test::Org org;
  auto ada = org.Device("ada", Role::kOfficer);
  const PublicKey ada_key = ada->writer();
  // Mallory's request claims to succeed Ada's key: Ada's key never signed it.
  test::Forger mallory(org.hq->org_id());
  org::EnrolRequest hijack = mallory.Request("mallory");
  hijack.successor_of = ada_key;
  auto bytes = org::EncodeEnrolRequest(hijack, mallory.key, mallory.identity);
  auto decoded = org::DecodeEnrolRequest(bytes);
  REQUIRE(decoded.ok());
  CHECK_FALSE(decoded->vouched);
  auto refused = org.hq->Enrol(*decoded, Role::kOfficer, kNow);
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.status().message(), Catch::Contains("did not sign it"));
  CHECK_FALSE(IsRevoked(*org.hq, ada_key));
  // A vouch signed by any other key is refused when the request is read.
  auto forged_vouch = org::EncodeEnrolRequest(hijack, mallory.key, mallory.identity, &mallory.key);
  CHECK_FALSE(org::DecodeEnrolRequest(forged_vouch).ok());
  // An administrator who confirms that Ada's device was lost: the successor is enrolled
  // and the lost device revoked.
  auto confirmed = org.hq->Enrol(*decoded, Role::kOfficer, kNow, ada_key);
  REQUIRE(confirmed.ok());
  CHECK(IsRevoked(*org.hq, ada_key));
  CHECK(org.hq->members().at(mallory.pk()).predecessor == ada_key);
}

TEST_CASE("issue 7 #2: a successor's cut-off keeps what the device wrote that HQ had not seen",
          "[regressions][attack]") {
  test::Org org;
  auto ada = org.Device("ada", Role::kOfficer);
  const PublicKey old_key = ada->writer();
  for (int i = 0; i < 3; ++i) {
    REQUIRE(
        ada->Write(org.case_id, record::AddNote{"incident", "offline " + std::to_string(i)}, kNow)
            .ok());
  }
  // Ada re-keys before HQ has seen those notes; her old key vouches for the new one and
  // says where its chain ends.
  auto req = ada->MakeSuccessorRequest("ada", "B-ada", test::Pass());
  REQUIRE(req.ok());
  auto decoded = org::DecodeEnrolRequest(*req);
  REQUIRE(decoded.ok());
  CHECK(decoded->vouched);
  auto out = org.hq->Enrol(*decoded, Role::kOfficer, kNow);
  REQUIRE(out.ok());
  auto resp = org::DecodeEnrolResponse(out->response);
  REQUIRE(resp.ok());
  REQUIRE(ada->Join(*resp, test::Pass(), kNow).ok());
  CHECK(ada->writer() != old_key);
  test::Sync(*ada, *org.hq);
  CHECK(NoteTexts(*org.hq, org.case_id) == "written at HQ|offline 0|offline 1|offline 2|");
}

TEST_CASE("a key replaced by its successor is refused as a sync peer",
          "[regressions][attack]") {
  test::Org org;
  auto ada = org.Device("ada", Role::kOfficer);
  const PublicKey old_key = ada->writer();
  // A copy of Ada's device as it was (a restored backup, a clone) still holds the old key.
  auto old_identity = ada->SessionIdentityNow();
  REQUIRE(old_identity.ok());
  const Bytes old_enrolment = old_identity->enrolment;
  REQUIRE(org.hq->AdmitPeer(old_key, old_enrolment, kNow).ok());
  auto req = ada->MakeSuccessorRequest("ada", "B-ada", test::Pass());
  REQUIRE(req.ok());
  auto decoded = org::DecodeEnrolRequest(*req);
  REQUIRE(decoded.ok());
  auto out = org.hq->Enrol(*decoded, Role::kOfficer, kNow);
  REQUIRE(out.ok());
  auto resp = org::DecodeEnrolResponse(out->response);
  REQUIRE(resp.ok());
  REQUIRE(ada->Join(*resp, test::Pass(), kNow).ok());
  // The old key now: refused, with the one uniform answer; the successor is admitted.
  auto refused = org.hq->AdmitPeer(old_key, old_enrolment, kNow);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().message() == "not a current member device");
  CHECK(org.hq->AdmitPeer(ada->writer(), {}, kNow).ok());
  auto now_identity = ada->SessionIdentityNow();
  REQUIRE(now_identity.ok());
  CHECK(now_identity->key->public_key() == ada->writer());
}

TEST_CASE("an enrolment shown at the handshake counts only while its administrator is current",
          "[regressions][attack]") {
  test::Org org;
  auto admin = org.Device("second-admin", Role::kAdmin);
  // Certificates live two years (node/src/parts.h): the administrator's from kNow, the
  // device's from a year later, so there is a time when only the device's is valid.
  const int64_t year = int64_t(365) * 24 * 3600 * 1000;
  auto x = node::Node::InitDevice({org.tmp.path() / "x"}, test::Pass(),
                                  crypto::KdfCost::kInsecureFast);
  REQUIRE(x.ok());
  auto req = (*x)->MakeEnrolRequest("x", "B-x");
  REQUIRE(req.ok());
  auto decoded = org::DecodeEnrolRequest(*req);
  REQUIRE(decoded.ok());
  auto out = admin->Enrol(*decoded, Role::kOfficer, kNow + year);
  REQUIRE(out.ok());
  auto resp = org::DecodeEnrolResponse(out->response);
  REQUIRE(resp.ok());
  REQUIRE((*x)->Join(*resp, test::Pass(), kNow + year).ok());
  auto identity = (*x)->SessionIdentityNow();
  REQUIRE(identity.ok());
  REQUIRE_FALSE(identity->enrolment.empty());
  // HQ has not heard of the device: the enrolment record it shows is all it has.
  const PublicKey xk = (*x)->writer();
  CHECK(org.hq->AdmitPeer(xk, identity->enrolment, kNow + year + 1).ok());
  auto late = org.hq->AdmitPeer(xk, identity->enrolment, kNow + 2 * year + 1);
  REQUIRE_FALSE(late.ok());
  CHECK(late.status().message() == "not a current member device");
}
