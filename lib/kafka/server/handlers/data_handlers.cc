// The data API handlers (see AddDataHandlers/AddAdminHandlers/AddGroupHandlers
// in kafka/server/handler.h): each API's handler lives in its own file in
// this directory; this function lists them.
#include <vector>

#include "kafka/server/handler.h"

namespace samsa::kafka {

void AddDataHandlers(std::vector<ApiHandler>* out) { (void)out; }

}  // namespace samsa::kafka
