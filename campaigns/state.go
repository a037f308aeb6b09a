package campaigns

import (
	"errors"
	"fmt"
)

// State is where a campaign is in its lifecycle.
type State string

// States. A campaign without recorded state is a Draft.
const (
	Draft     State = "draft"     // written, not approved: never sends
	Approved  State = "approved"  // a person approved this exact content
	Scheduled State = "scheduled" // approved and waiting for its next fire
	Running   State = "running"   // a fire is being delivered
	Finished  State = "finished"  // no fire left (one-shot sent, or window over)
	Paused    State = "paused"    // stopped by staff or auto-pause; resume continues
	Cancelled State = "cancelled" // stopped for good
	Missed    State = "missed"    // a one-shot fire came too late to send
)

// Event moves a campaign between states.
type Event string

// Events.
const (
	EvApprove  Event = "approve"  // a person approved the content
	EvEdit     Event = "edit"     // the content changed after approval: approve again
	EvSchedule Event = "schedule" // the scheduler took up the next fire
	EvStart    Event = "start"    // a fire starts (or a run is resumed)
	EvComplete Event = "complete" // a run ended and further fires remain
	EvFinish   Event = "finish"   // a run ended and no fire remains, or the window closed
	EvPause    Event = "pause"    // staff or auto-pause
	EvResume   Event = "resume"   // staff resumed a paused campaign
	EvCancel   Event = "cancel"   // staff cancelled
	EvMiss     Event = "miss"     // a one-shot fire was too late to send
)

// ErrTransition is returned for an event the current state does not allow.
var ErrTransition = errors.New("campaigns: transition not allowed")

// transitions is the whole lifecycle in one table: state → event → state.
// Content may change (EvEdit) only before a campaign runs: a running or
// ended campaign keeps the snapshot its runs were started with.
var transitions = map[State]map[Event]State{
	Draft: {
		EvApprove: Approved,
		EvEdit:    Draft,
		EvCancel:  Cancelled,
	},
	Approved: {
		EvApprove:  Approved, // approving again records the newer approver
		EvEdit:     Draft,
		EvSchedule: Scheduled,
		EvStart:    Running,
		EvPause:    Paused,
		EvCancel:   Cancelled,
		EvMiss:     Missed,
		EvFinish:   Finished,
	},
	Scheduled: {
		EvApprove: Scheduled,
		EvEdit:    Draft,
		EvStart:   Running,
		EvPause:   Paused,
		EvCancel:  Cancelled,
		EvMiss:    Missed,
		EvFinish:  Finished,
	},
	Running: {
		EvComplete: Scheduled,
		EvFinish:   Finished,
		EvPause:    Paused,
		EvCancel:   Cancelled,
	},
	Paused: {
		EvResume: Scheduled,
		EvEdit:   Draft,
		EvCancel: Cancelled,
	},
	Missed: {
		EvEdit:   Draft,
		EvCancel: Cancelled,
	},
	Finished:  {},
	Cancelled: {},
}

// Transition returns the state event leads to from from, or an error
// wrapping ErrTransition.
func Transition(from State, event Event) (State, error) {
	if from == "" {
		from = Draft
	}
	to, ok := transitions[from][event]
	if !ok {
		return from, fmt.Errorf("%w: cannot %s a %s campaign", ErrTransition, event, from)
	}
	return to, nil
}

// Label is the state's name for staff.
func (s State) Label() string {
	switch s {
	case Draft, "":
		return "草稿"
	case Approved:
		return "已审批"
	case Scheduled:
		return "待推送"
	case Running:
		return "推送中"
	case Finished:
		return "已完成"
	case Paused:
		return "已暂停"
	case Cancelled:
		return "已取消"
	case Missed:
		return "已错过"
	}
	return string(s)
}

// Sends reports whether a campaign in state s may fire.
func (s State) Sends() bool { return s == Approved || s == Scheduled || s == Running }
