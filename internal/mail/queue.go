package mail

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Queue sends messages in the background, retrying a failed delivery a few
// times with a growing pause. Messages live in memory only: Close tries
// once more each message still queued; one that fails then is lost, and
// the person asks again.
type Queue struct {
	sender  Sender
	log     *slog.Logger
	ch      chan Message
	retries []time.Duration
	wg      sync.WaitGroup
	once    sync.Once
	stop    chan struct{}
}

// NewQueue starts a queue of up to size messages in front of s.
func NewQueue(s Sender, log *slog.Logger, size int) *Queue {
	q := &Queue{sender: s, log: log, ch: make(chan Message, size), stop: make(chan struct{}),
		retries: []time.Duration{5 * time.Second, 30 * time.Second, 2 * time.Minute}}
	q.wg.Add(1)
	go q.run()
	return q
}

// Enqueue hands m to the queue without waiting. It reports false, and
// logs, when the queue is full or closed.
func (q *Queue) Enqueue(m Message) bool {
	select {
	case <-q.stop:
	default:
		select {
		case q.ch <- m:
			return true
		default:
		}
	}
	q.log.Warn("mail queue full or stopped; a message was dropped", "subject", m.Subject)
	return false
}

func (q *Queue) run() {
	defer q.wg.Done()
	for {
		select {
		case <-q.stop:
			q.drain()
			return
		case m := <-q.ch:
			q.deliver(m)
		}
	}
}

// drain makes one attempt at each message left when the queue closes.
func (q *Queue) drain() {
	for {
		select {
		case m := <-q.ch:
			if err := q.sender.Send(context.Background(), m); err != nil {
				q.log.Error("mail not delivered at shutdown", "subject", m.Subject, "err", err)
			}
		default:
			return
		}
	}
}

func (q *Queue) deliver(m Message) {
	for attempt := 0; ; attempt++ {
		err := q.sender.Send(context.Background(), m) // bounded by the sender's timeout
		if err == nil {
			return
		}
		if attempt == len(q.retries) {
			q.log.Error("mail not delivered; giving up", "subject", m.Subject, "err", err)
			return
		}
		q.log.Warn("mail not delivered; will retry", "subject", m.Subject, "err", err, "in", q.retries[attempt])
		select {
		case <-q.stop:
			if err := q.sender.Send(context.Background(), m); err != nil {
				q.log.Error("mail not delivered at shutdown", "subject", m.Subject, "err", err)
			}
			return
		case <-time.After(q.retries[attempt]):
		}
	}
}

// Close stops the queue after one attempt at each message still queued.
func (q *Queue) Close() {
	q.once.Do(func() { close(q.stop) })
	q.wg.Wait()
}
