// Members of the organisation as the accepted control entries describe them.
#pragma once

#include <optional>

#include "fieldcase/base/bytes.h"
#include "fieldcase/org/control_payload.h"

namespace fieldcase::org {

struct Member {
  PublicKey key{};
  Role role = Role::kOfficer;
  Id128 person_id{};
  std::optional<Personal> personal;  // when the directory key opens it
  uint64_t expiry_ms = 0;
  PublicKey box_key{};               // the device's X25519 key, for sealed wraps
};

struct MemberView {
  Member member;
  bool revoked = false;
  bool is_this_device = false;
};

}  // namespace fieldcase::org
