// The strict checks of key and control payloads that every node runs as part of the
// structural checks (DESIGN §4.1): strict decode, and the ids that must follow from the
// header. The store calls it for every key and control payload, however it arrives
// (store::Store::Open takes it).
#pragma once

#include "fieldcase/base/bytes.h"
#include "fieldcase/base/status.h"
#include "fieldcase/store/entry.h"

namespace fieldcase::org {

// Rejected for a malformed payload or one that contradicts its header; NeedsUpgrade for an
// op this version does not know.
Status ValidateKeyOrControl(const store::Header& h, ByteView payload);

}  // namespace fieldcase::org
