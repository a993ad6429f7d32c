// Parser benchmark: our SIP message layer against GNU oSIP2 on the same messages, in the
// same process. Each iteration does what a B2BUA does with every message it receives:
// parse it, read the headers that drive transactions and dialogs (Call-ID, From/To tags,
// CSeq, top Via sent-by and branch, Max-Forwards, Content-Length, Content-Type, the
// Request-URI host), and serialize it. Prints Google Benchmark's table, then one line:
//   BENCH parser inv_per_s=<n> osip2_inv_per_s=<n> ratio=<ours/oSIP2>

#include <benchmark/benchmark.h>
#include <osipparser2/osip_parser.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

#include "signaling/sip/parser.h"

namespace {

using namespace sbc::sip;

// A typical INVITE with SDP, as a softphone sends it to an SBC (881 bytes).
const std::string kInvite =
    "INVITE sip:bob@core.example.net SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK74bf9a2c01;rport\r\n"
    "Max-Forwards: 70\r\n"
    "From: \"Alice\" <sip:alice@access.example.com>;tag=9fxced76sl\r\n"
    "To: <sip:bob@core.example.net>\r\n"
    "Call-ID: 3848276298220188511@192.0.2.10\r\n"
    "CSeq: 1 INVITE\r\n"
    "Contact: <sip:alice@192.0.2.10:5060;transport=udp>\r\n"
    "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO, PRACK, REFER, NOTIFY\r\n"
    "Supported: 100rel, timer, replaces\r\n"
    "Session-Expires: 1800\r\n"
    "User-Agent: LabPhone/1.0\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 338\r\n"
    "\r\n"
    "v=0\r\n"
    "o=alice 2890844526 2890844526 IN IP4 192.0.2.10\r\n"
    "s=-\r\n"
    "c=IN IP4 192.0.2.10\r\n"
    "t=0 0\r\n"
    "m=audio 49170 RTP/AVP 8 0 9 18 101\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:9 G722/8000\r\n"
    "a=rtpmap:18 G729/8000\r\n"
    "a=fmtp:18 annexb=no\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\n"
    "a=ptime:20\r\n"
    "a=maxptime:40\r\n"
    "a=sendrecv\r\n"
    "a=rtcp:49171\r\n";

// The 200 OK that answers it, back through a proxy (two Vias, Record-Route).
const std::string kOk =
    "SIP/2.0 200 OK\r\n"
    "Via: SIP/2.0/UDP 203.0.113.1:5060;branch=z9hG4bKsbc8812;received=203.0.113.1\r\n"
    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK74bf9a2c01;rport=5060;received=192.0.2.10\r\n"
    "Record-Route: <sip:203.0.113.1;lr>\r\n"
    "From: \"Alice\" <sip:alice@access.example.com>;tag=9fxced76sl\r\n"
    "To: <sip:bob@core.example.net>;tag=8321234356\r\n"
    "Call-ID: 3848276298220188511@192.0.2.10\r\n"
    "CSeq: 1 INVITE\r\n"
    "Contact: <sip:bob@198.51.100.20:5060>\r\n"
    "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO, PRACK\r\n"
    "Supported: 100rel, timer\r\n"
    "Server: LabPBX/2.1\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 217\r\n"
    "\r\n"
    "v=0\r\n"
    "o=bob 2808844564 2808844564 IN IP4 198.51.100.20\r\n"
    "s=-\r\n"
    "c=IN IP4 198.51.100.20\r\n"
    "t=0 0\r\n"
    "m=audio 3456 RTP/AVP 8 101\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\n"
    "a=ptime:20\r\n"
    "a=sendrecv\r\n";

// What every iteration reads, summed so the compiler cannot drop the work.
size_t accessOurs(const Message& m) {
  size_t sum = m.callId().size();
  sum += m.from().value.tag().size();
  sum += m.to().value.tag().size();
  Parsed<CSeq> cseq = m.cseq();
  sum += cseq.value.number + cseq.value.method.size();
  Parsed<Via> via = m.topVia();
  sum += via.value.host.size() + via.value.port + via.value.branch.size();
  sum += m.maxForwards().value;
  sum += m.contentLength().value;
  sum += m.contentType().value.subtype.size();
  if (m.isRequest()) sum += m.requestUriParsed().value.host.size();
  return sum;
}

void parseOurs(benchmark::State& state, const std::string& text, bool serialize) {
  Message m;
  std::string out;
  const Limits limits;
  for (auto _ : state) {
    if (!parseMessage(text, Framing::kDatagram, limits, m).ok())
      state.SkipWithError("parse failed");
    size_t sum = accessOurs(m);
    if (serialize) {
      out.clear();
      m.serializeTo(out);
      sum += out.size();
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(text.size()));
}

size_t accessOsip(osip_message_t* m) {
  size_t sum = 0;
  osip_call_id_t* callId = osip_message_get_call_id(m);
  if (callId && callId->number) sum += std::string_view(callId->number).size();
  osip_generic_param_t* tag = nullptr;
  // osip_from_get_tag/osip_to_get_tag are macros that pass a string literal as char*,
  // which clang rejects in C++: the function they expand to, called as they would.
  char* tagName = const_cast<char*>("tag");
  if (m->from && osip_generic_param_get_byname(&m->from->gen_params, tagName, &tag) == 0 && tag &&
      tag->gvalue)
    sum += std::string_view(tag->gvalue).size();
  tag = nullptr;
  if (m->to && osip_generic_param_get_byname(&m->to->gen_params, tagName, &tag) == 0 && tag &&
      tag->gvalue)
    sum += std::string_view(tag->gvalue).size();
  if (m->cseq && m->cseq->number)
    sum += std::strtoul(m->cseq->number, nullptr, 10) + std::string_view(m->cseq->method).size();
  osip_via_t* via = nullptr;
  if (osip_message_get_via(m, 0, &via) >= 0 && via) {
    sum += std::string_view(via->host).size();
    if (via->port) sum += std::strtoul(via->port, nullptr, 10);
    osip_generic_param_t* branch = nullptr;
    if (osip_via_param_get_byname(via, const_cast<char*>("branch"), &branch) == 0 && branch &&
        branch->gvalue) {
      sum += std::string_view(branch->gvalue).size();
    }
  }
  osip_header_t* mf = nullptr;
  if (osip_message_get_max_forwards(m, 0, &mf) >= 0 && mf && mf->hvalue)
    sum += std::strtoul(mf->hvalue, nullptr, 10);
  if (m->content_length && m->content_length->value)
    sum += std::strtoul(m->content_length->value, nullptr, 10);
  if (m->content_type && m->content_type->subtype)
    sum += std::string_view(m->content_type->subtype).size();
  if (m->req_uri && m->req_uri->host) sum += std::string_view(m->req_uri->host).size();
  return sum;
}

void parseOsip(benchmark::State& state, const std::string& text, bool serialize) {
  for (auto _ : state) {
    osip_message_t* m = nullptr;
    osip_message_init(&m);
    if (osip_message_parse(m, text.data(), text.size()) != 0)
      state.SkipWithError("oSIP2 parse failed");
    size_t sum = accessOsip(m);
    if (serialize) {
      char* out = nullptr;
      size_t len = 0;
      if (osip_message_to_str(m, &out, &len) != 0) state.SkipWithError("oSIP2 serialize failed");
      sum += len;
      osip_free(out);
    }
    osip_message_free(m);
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(text.size()));
}

// Captures items/s per benchmark so the BENCH line can be printed after the table.
class Collector : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs) {
      auto it = r.counters.find("items_per_second");
      if (it != r.counters.end() && !r.error_occurred) rates[r.benchmark_name()] = it->second.value;
    }
    ConsoleReporter::ReportRuns(runs);
  }
  std::map<std::string, double> rates;
};

}  // namespace

int main(int argc, char** argv) {
  parser_init();
  // Both parsers must agree that the messages are fine before anything is timed.
  Message probe;
  if (!parseMessage(kInvite, Framing::kDatagram, {}, probe).ok() ||
      probe.contentLength().value != 338 ||
      !parseMessage(kOk, Framing::kDatagram, {}, probe).ok() ||
      probe.contentLength().value != 217) {
    std::fprintf(stderr, "benchmark messages do not parse\n");
    return 1;
  }

  benchmark::RegisterBenchmark("sbc/invite/parse+access+serialize", parseOurs, kInvite, true);
  benchmark::RegisterBenchmark("osip2/invite/parse+access+serialize", parseOsip, kInvite, true);
  benchmark::RegisterBenchmark("sbc/200ok/parse+access+serialize", parseOurs, kOk, true);
  benchmark::RegisterBenchmark("osip2/200ok/parse+access+serialize", parseOsip, kOk, true);
  benchmark::RegisterBenchmark("sbc/invite/parse+access", parseOurs, kInvite, false);
  benchmark::RegisterBenchmark("osip2/invite/parse+access", parseOsip, kInvite, false);

  benchmark::Initialize(&argc, argv);
  Collector collector;
  benchmark::RunSpecifiedBenchmarks(&collector);
  benchmark::Shutdown();

  auto rate = [&](const char* name) {
    return collector.rates.count(name) ? collector.rates[name] : 0.0;
  };
  double inv = rate("sbc/invite/parse+access+serialize");
  double osipInv = rate("osip2/invite/parse+access+serialize");
  double ok = rate("sbc/200ok/parse+access+serialize");
  double osipOk = rate("osip2/200ok/parse+access+serialize");
  double parseOnly = rate("sbc/invite/parse+access");
  double osipParseOnly = rate("osip2/invite/parse+access");
  if (inv <= 0 || osipInv <= 0) {
    std::fprintf(stderr, "benchmark did not produce both rates (filtered out?)\n");
    return 1;
  }
  std::printf(
      "\nper second, one core:   INVITE %.0f (oSIP2 %.0f, x%.2f)   200 OK %.0f (oSIP2 %.0f, "
      "x%.2f)\n",
      inv, osipInv, inv / osipInv, ok, osipOk, osipOk > 0 ? ok / osipOk : 0.0);
  std::printf("without serialization:  INVITE %.0f (oSIP2 %.0f, x%.2f)\n", parseOnly, osipParseOnly,
              osipParseOnly > 0 ? parseOnly / osipParseOnly : 0.0);
  std::printf("BENCH parser inv_per_s=%.0f osip2_inv_per_s=%.0f ratio=%.2f\n", inv, osipInv,
              inv / osipInv);
  return 0;
}
