package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/pufa-dev/pufa/console"
	"github.com/pufa-dev/pufa/knowledge"
	"github.com/pufa-dev/pufa/store"
)

// Staff edits of the answer bank (问答库) live in Redis over the bank shipped
// in the binary. Each replica applies them at start and then polls their
// version, so an edit saved in any replica's console reaches residents on
// every replica within bankPollInterval.
const (
	bankPollInterval = 30 * time.Second
	// bankLoadTimeout bounds the load at start: a stalled Redis must not
	// hold the service back; the poll applies the edits once Redis answers.
	bankLoadTimeout = 3 * time.Second
)

// newBankSync applies the stored edits to kb. Edits that no longer validate
// are logged and skipped by BankSync; a Redis failure is logged and left to
// the poll, so nothing here stops the service from starting.
func newBankSync(st *store.Store, kb *knowledge.Base, logger *slog.Logger) *console.BankSync {
	b := console.NewBankSync(st, kb, logger)
	ctx, cancel := context.WithTimeout(context.Background(), bankLoadTimeout)
	defer cancel()
	if err := b.Load(ctx); err != nil {
		logger.Warn("answer bank edits not loaded at start; the poll retries", "every", bankPollInterval, "err", err)
	}
	return b
}

// startBankSync polls the edits' version until ctx ends; the returned func
// stops the poll and waits for it.
func (s *service) startBankSync(ctx context.Context) (stop func()) {
	if s.bank == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.bank.Run(ctx, bankPollInterval)
	}()
	return func() {
		cancel()
		<-done
	}
}
