// The call progress machine (signaling/b2bua/call_state.h) on its own: every transition of
// its diagram, and every event it refuses.

#include <gtest/gtest.h>

#include <vector>

#include "signaling/b2bua/call_state.h"

namespace sbc::b2bua {
namespace {

using S = CallState;
using E = CallEvent;
using A = CallAction;

struct Row {
  S from;
  E event;
  S to;
  A action;
};

// The diagram, edge by edge (within-state edges included).
const std::vector<Row> kAccepted = {
    {S::kCalling, E::kProvisional, S::kProceeding, A::kNone},
    {S::kCalling, E::kEarlyProvisional, S::kEarly, A::kRelayProvisional},
    {S::kCalling, E::kAnswered, S::kConfirmed, A::kConfirm},
    {S::kCalling, E::kCancel, S::kCancelPending, A::kNone},
    {S::kProceeding, E::kProvisional, S::kProceeding, A::kNone},
    {S::kProceeding, E::kEarlyProvisional, S::kEarly, A::kRelayProvisional},
    {S::kProceeding, E::kAnswered, S::kConfirmed, A::kConfirm},
    {S::kProceeding, E::kCancel, S::kCancelling, A::kSendCancel},
    {S::kEarly, E::kProvisional, S::kEarly, A::kNone},
    {S::kEarly, E::kEarlyProvisional, S::kEarly, A::kRelayProvisional},
    {S::kEarly, E::kAnswered, S::kConfirmed, A::kConfirm},
    {S::kEarly, E::kCancel, S::kCancelling, A::kSendCancel},
    {S::kCancelPending, E::kProvisional, S::kCancelling, A::kSendCancel},
    {S::kCancelPending, E::kEarlyProvisional, S::kCancelling, A::kSendCancel},
    {S::kCancelPending, E::kAnswered, S::kCancelPending, A::kAckAndBye},
    {S::kCancelPending, E::kCancel, S::kCancelPending, A::kNone},
    {S::kCancelling, E::kProvisional, S::kCancelling, A::kNone},
    {S::kCancelling, E::kEarlyProvisional, S::kCancelling, A::kNone},
    {S::kCancelling, E::kAnswered, S::kCancelling, A::kAckAndBye},
    {S::kCancelling, E::kCancel, S::kCancelling, A::kNone},
    {S::kCalling, E::kEnd, S::kEnded, A::kTearDown},
    {S::kProceeding, E::kEnd, S::kEnded, A::kTearDown},
    {S::kEarly, E::kEnd, S::kEnded, A::kTearDown},
    {S::kCancelPending, E::kEnd, S::kEnded, A::kTearDown},
    {S::kCancelling, E::kEnd, S::kEnded, A::kTearDown},
    {S::kConfirmed, E::kEnd, S::kEnded, A::kTearDown},
};

const std::vector<S> kStates = {S::kCalling,    S::kProceeding, S::kEarly, S::kCancelPending,
                                S::kCancelling, S::kConfirmed,  S::kEnded};
const std::vector<E> kEvents = {E::kProvisional, E::kEarlyProvisional, E::kAnswered, E::kCancel,
                                E::kEnd};

TEST(CallStateTest, EveryTransitionOfTheDiagram) {
  for (const Row& r : kAccepted) {
    CallTransition t = nextState(r.from, r.event);
    SCOPED_TRACE(std::string(callStateName(r.from)) + " + " + callEventName(r.event));
    EXPECT_TRUE(t.accepted);
    EXPECT_EQ(t.next, r.to) << callStateName(t.next);
    EXPECT_EQ(t.action, r.action);
  }
}

TEST(CallStateTest, EverythingElseIsRefusedAndChangesNothing) {
  size_t refused = 0;
  for (S s : kStates) {
    for (E e : kEvents) {
      bool listed = false;
      for (const Row& r : kAccepted)
        listed |= r.from == s && r.event == e;
      if (listed) continue;
      SCOPED_TRACE(std::string(callStateName(s)) + " + " + callEventName(e));
      CallTransition t = nextState(s, e);
      EXPECT_FALSE(t.accepted);
      EXPECT_EQ(t.next, s);
      EXPECT_EQ(t.action, A::kNone);
      ++refused;
    }
  }
  // Confirmed refuses all but end (a late 1xx or 2xx, a cancel after the answer); Ended
  // refuses everything, end included (teardown runs once).
  EXPECT_EQ(refused, 4u + 5u);
}

TEST(CallStateTest, CancelWaitsForTheFirstProvisional) {
  // RFC 3261 §9.1: no CANCEL before a provisional; the first one sends it, once.
  S s = S::kCalling;
  CallTransition t = nextState(s, E::kCancel);
  EXPECT_EQ(t.action, A::kNone);
  s = t.next;
  EXPECT_TRUE(cancelRequested(s));
  t = nextState(s, E::kProvisional);
  EXPECT_EQ(t.action, A::kSendCancel);
  s = t.next;
  EXPECT_EQ(nextState(s, E::kEarlyProvisional).action, A::kNone);
  EXPECT_EQ(nextState(s, E::kCancel).action, A::kNone);
  EXPECT_TRUE(cancelRequested(s));
}

TEST(CallStateTest, SettingUpUntilAnsweredOrEnded) {
  EXPECT_TRUE(settingUp(S::kCalling));
  EXPECT_TRUE(settingUp(S::kEarly));
  EXPECT_TRUE(settingUp(S::kCancelling));
  EXPECT_FALSE(settingUp(S::kConfirmed));
  EXPECT_FALSE(settingUp(S::kEnded));
  EXPECT_FALSE(cancelRequested(S::kEarly));
  EXPECT_FALSE(cancelRequested(S::kConfirmed));
}

}  // namespace
}  // namespace sbc::b2bua
