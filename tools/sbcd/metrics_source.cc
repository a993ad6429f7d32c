#include "tools/sbcd/metrics_source.h"

#include <algorithm>
#include <set>
#include <string>

namespace sbc::sbcd {

namespace {

using metrics::Kind;

metrics::HistogramValue convert(const Histogram& h) {
  return metrics::HistogramValue{h.bounds, h.counts, h.sum, h.count};
}

const std::set<int> kUsualCodes = {100, 180, 183, 200, 401, 403, 404, 407, 408,
                                   480, 481, 486, 487, 488, 491, 500, 503, 603};

void sampleSip(const MetricsSources& src, metrics::Snapshot& out) {
  auto& requests = out.family("sbc_sip_requests_total",
                              "SIP requests received from (in) or sent to (out) a realm, "
                              "retransmissions included.",
                              Kind::kCounter);
  auto& responses =
      out.family("sbc_sip_responses_total",
                 "SIP responses received from (in) or sent to (out) a realm.", Kind::kCounter);
  auto& retransmissions =
      out.family("sbc_sip_retransmissions_total",
                 "SIP requests and responses the SBC sent again on a timer (transactions, and the "
                 "B2BUA's own 2xx and reliable provisional retransmissions).",
                 Kind::kCounter);
  auto& parseErrors = out.family("sbc_sip_parse_errors_total",
                                 "SIP messages that failed to parse or validate (answered with an "
                                 "error or dropped), and TCP framing errors.",
                                 Kind::kCounter);
  const auto& listeners = src.transport->listeners();
  const auto& traffic = src.transport->traffic();
  const auto& byListener = src.transactions->counters().retransmissionsByListener;
  // Listeners of one realm (UDP and TCP) add up into the realm's series.
  struct RealmSip {
    std::string realm;
    transport::SipTraffic traffic;
    uint64_t retransmissions = 0;
    uint64_t parseErrors[2] = {};  // udp, tcp
  };
  std::vector<RealmSip> realms;
  for (const transport::ListenerInfo& l : listeners) {
    if (l.id >= traffic.size()) continue;
    auto it = std::find_if(realms.begin(), realms.end(),
                           [&](const RealmSip& r) { return r.realm == l.realm; });
    if (it == realms.end()) it = realms.insert(realms.end(), RealmSip{l.realm, {}, 0, {}});
    const transport::SipTraffic& t = traffic[l.id];
    for (size_t m = 0; m < t.requestsIn.size(); ++m) {
      it->traffic.requestsIn[m] += t.requestsIn[m];
      it->traffic.requestsOut[m] += t.requestsOut[m];
    }
    for (size_t c = 0; c < t.responsesIn.size(); ++c) {
      it->traffic.responsesIn[c] += t.responsesIn[c];
      it->traffic.responsesOut[c] += t.responsesOut[c];
    }
    it->parseErrors[l.protocol == transport::Protocol::kTcp ? 1 : 0] += t.parseErrors;
    if (l.id < byListener.size()) it->retransmissions += byListener[l.id];
  }
  for (const RealmSip& r : realms) {
    for (size_t m = 0; m < transport::SipTraffic::kMethods; ++m) {
      auto method = static_cast<sip::Method>(m);
      std::string name =
          method == sip::Method::kUnknown ? "other" : std::string(sip::methodName(method));
      // Every method from the start, zeros included: rate() sees a series' first increment
      // only when the series existed before it.
      requests.add({{"realm", r.realm}, {"direction", "in"}, {"method", name}},
                   double(r.traffic.requestsIn[m]));
      requests.add({{"realm", r.realm}, {"direction", "out"}, {"method", name}},
                   double(r.traffic.requestsOut[m]));
    }
    for (size_t c = 0; c < transport::SipTraffic::kCodes; ++c) {
      std::string code = std::to_string(int(c) + transport::SipTraffic::kFirstCode);
      // The codes a call normally sees exist from the start (see above); the rest of the
      // 600 appear when first counted.
      bool usual =
          kUsualCodes.find(int(c) + transport::SipTraffic::kFirstCode) != kUsualCodes.end();
      if (usual || r.traffic.responsesIn[c] != 0)
        responses.add({{"realm", r.realm}, {"direction", "in"}, {"code", code}},
                      double(r.traffic.responsesIn[c]));
      if (usual || r.traffic.responsesOut[c] != 0)
        responses.add({{"realm", r.realm}, {"direction", "out"}, {"code", code}},
                      double(r.traffic.responsesOut[c]));
    }
    retransmissions.add({{"realm", r.realm}}, double(r.retransmissions));
    parseErrors.add({{"realm", r.realm}, {"transport", "udp"}}, double(r.parseErrors[0]));
    parseErrors.add({{"realm", r.realm}, {"transport", "tcp"}}, double(r.parseErrors[1]));
  }
  out.family("sbc_sip_transactions_active", "SIP transactions in progress (server and client).",
             Kind::kGauge)
      .add({},
           double(src.transactions->serverTransactions() + src.transactions->clientTransactions()));
  const transaction::Counters& x = src.transactions->counters();
  out.family("sbc_sip_responses_from_elsewhere_total",
             "SIP responses dropped because they matched a client transaction but came from "
             "another address, port or TCP connection than its request went to (forged).",
             Kind::kCounter)
      .add({}, double(x.responsesFromElsewhere));
  out.family("sbc_sip_cancels_from_elsewhere_total",
             "CANCELs refused with 481 because they matched an INVITE in progress but came "
             "from another address (or UDP port) than the INVITE (forged).",
             Kind::kCounter)
      .add({}, double(x.cancelsFromElsewhere));
  out.family("sbc_sip_stateless_responses_total",
             "Final answers sent once without keeping a transaction (RFC 3261 8.2.7): "
             "rejections of requests outside any dialog, and 481s.",
             Kind::kCounter)
      .add({}, double(x.statelessResponses));
  auto& refused = out.family("sbc_sip_transactions_refused_total",
                             "New SIP transactions refused at the configured table cap: requests "
                             "answered 503 (server), requests not sent (client).",
                             Kind::kCounter);
  refused.add({{"table", "server"}}, double(x.serverTransactionsRefused));
  refused.add({{"table", "client"}}, double(x.clientTransactionsRefused));
}

// What the TCP transport refused or closed, and what the signaling thread shed to stay up.
void sampleTcp(const MetricsSources& src, metrics::Snapshot& out) {
  const transport::TransportCounters& t = src.transport->counters();
  auto& events = out.family("sbc_tcp_events_total",
                            "TCP connections accepted, refused (total, per-source and outbound "
                            "caps), closed by the SBC (timeouts, framing errors, send queue "
                            "overflow) and accept() failures (retried after a back-off).",
                            Kind::kCounter);
  events.add({{"event", "accepted"}}, double(t.tcpAccepted));
  events.add({{"event", "refused_limit"}}, double(t.tcpRefused));
  events.add({{"event", "refused_per_source"}}, double(t.tcpRefusedPerSource));
  events.add({{"event", "refused_outbound"}}, double(t.tcpOutboundRefused));
  events.add({{"event", "accept_error"}}, double(t.tcpAcceptErrors));
  events.add({{"event", "queue_overflow"}}, double(t.tcpQueueOverflows));
  events.add({{"event", "timed_out"}}, double(t.tcpTimedOut));
  events.add({{"event", "framing_error"}}, double(t.tcpFramingErrors));
  out.family("sbc_log_lines_suppressed_total",
             "Per-message log lines (drops, rejections, refused connections) held back by the "
             "rate limit.",
             Kind::kCounter)
      .add({}, double(t.logLinesSuppressed + src.b2bua->counters().rejectLogsSuppressed));
  if (src.loop) {
    out.family("sbc_event_loop_exceptions_total",
               "Exceptions thrown by a signaling handler (std::bad_alloc included), caught at "
               "the event loop, which kept running.",
               Kind::kCounter)
        .add({}, double(src.loop->exceptions));
  }
}

void sampleCalls(const MetricsSources& src, metrics::Snapshot& out) {
  auto& active =
      out.family("sbc_calls_active", "Calls in progress, by the caller's realm.", Kind::kGauge);
  auto& total =
      out.family("sbc_calls_total",
                 "Calls that ended their setup, by the caller's realm and result.", Kind::kCounter);
  auto& limited = out.family("sbc_calls_limited_total",
                             "New calls refused with 503 and Retry-After because a table was "
                             "full (also counted as rejected), by the caller's realm and table: "
                             "calls (sip.max_calls), dialogs (sip.max_dialogs), realm_calls "
                             "(the realm's limits.max_calls).",
                             Kind::kCounter);
  out.family("sbc_dialogs_active", "Dialogs the B2BUA holds (two per call).", Kind::kGauge)
      .add({}, double(src.b2bua->activeDialogs()));
  for (const b2bua::RealmContext* r : src.b2bua->realms()) {
    active.add({{"realm", r->name}}, double(r->activeCalls));
    limited.add({{"realm", r->name}, {"table", "calls"}}, double(r->calls.overCallTable));
    limited.add({{"realm", r->name}, {"table", "dialogs"}}, double(r->calls.overDialogTable));
    limited.add({{"realm", r->name}, {"table", "realm_calls"}}, double(r->calls.overRealmCalls));
    const b2bua::CallCounters& c = r->calls;
    total.add({{"realm", r->name}, {"result", "answered"}}, double(c.answered));
    total.add({{"realm", r->name}, {"result", "busy"}}, double(c.busy));
    total.add({{"realm", r->name}, {"result", "cancelled"}}, double(c.cancelled));
    total.add({{"realm", r->name}, {"result", "failed"}}, double(c.failed));
    total.add({{"realm", r->name}, {"result", "rejected"}}, double(c.rejected));
  }
  const CallMetrics& s = *src.calls;
  out.family("sbc_call_setup_seconds", "Time from the caller's INVITE to the 200 relayed back.",
             Kind::kHistogram)
      .add({}, convert(s.setupSeconds));
  out.family("sbc_call_duration_seconds", "Time from the 200 to the end of answered calls.",
             Kind::kHistogram)
      .add({}, convert(s.durationSeconds));
  out.family("sbc_media_packet_loss_ratio",
             "RTP packet loss (RFC 3550) of each stream direction that carried packets, at the "
             "end of its session.",
             Kind::kHistogram)
      .add({}, convert(s.lossRatio));
  out.family("sbc_media_jitter_seconds",
             "RTP interarrival jitter (RFC 3550) of each stream direction that carried packets, "
             "at the end of its session.",
             Kind::kHistogram)
      .add({}, convert(s.jitterSeconds));
}

// What the B2BUA refused or removed at each realm's edge (issue 14, defects 10 and 11).
void sampleEdge(const MetricsSources& src, metrics::Snapshot& out) {
  auto& foreign = out.family("sbc_sip_in_dialog_foreign_source_total",
                             "In-dialog requests (403) and ACKs (dropped) naming a dialog of an "
                             "untrusted realm from a source other than the dialog's flow.",
                             Kind::kCounter);
  auto& removed = out.family("sbc_sip_body_parts_removed_total",
                             "Body parts removed from messages sent into the realm (types its "
                             "bodies list does not allow).",
                             Kind::kCounter);
  auto& malformed =
      out.family("sbc_sip_malformed_bodies_total",
                 "Malformed multipart bodies from the realm's peers, refused.", Kind::kCounter);
  for (const b2bua::RealmContext* r : src.b2bua->realms()) {
    foreign.add({{"realm", r->name}}, double(r->edge.foreignSource));
    removed.add({{"realm", r->name}}, double(r->edge.bodyPartsRemoved));
    malformed.add({{"realm", r->name}}, double(r->edge.malformedBodies));
  }
}

}  // namespace

metrics::Snapshot sampleSbc(const MetricsSources& sources) {
  metrics::Snapshot out;
  if (sources.transport && sources.transactions) sampleSip(sources, out);
  if (sources.transport) sampleTcp(sources, out);
  if (sources.b2bua && sources.calls) sampleCalls(sources, out);
  if (sources.b2bua) sampleEdge(sources, out);
  if (sources.media) sampleMedia(*sources.media, out);
  sampleOverload(sources.overload, out);
  return out;
}

}  // namespace sbc::sbcd
