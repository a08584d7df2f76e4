// The admin API handlers (see AddDataHandlers/AddAdminHandlers/AddGroupHandlers
// in kafka/server/handler.h): each API's handler lives in its own file in
// this directory; this function lists them.
#include <vector>

#include "kafka/server/handler.h"
#include "kafka/server/handlers/admin_util.h"

namespace samsa::kafka {

void AddAdminHandlers(std::vector<ApiHandler>* out) {
  out->push_back(CreateTopicsHandler());
  out->push_back(DeleteTopicsHandler());
  out->push_back(CreatePartitionsHandler());
  out->push_back(DescribeConfigsHandler());
  out->push_back(AlterConfigsHandler());
  out->push_back(IncrementalAlterConfigsHandler());
  out->push_back(DeleteRecordsHandler());
}

}  // namespace samsa::kafka
