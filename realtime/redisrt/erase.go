package redisrt

import (
	"context"
	"fmt"
)

// Erase deletes a user's inbox and its floor: what an erased responder's
// phone was told goes with them (docs/PRIVACY.md). A socket still open
// for the user reads an empty inbox with no floor, which it takes as
// "resync", and its token no longer works anyway.
func (in *Inbox) Erase(ctx context.Context, userID string) error {
	// Both keys carry the user's hash tag, so one DEL takes them.
	if err := in.rdb.Del(ctx, in.inboxKey(userID), in.floorKey(userID)).Err(); err != nil {
		return fmt.Errorf("erase inbox of %s: %w", userID, err)
	}
	return nil
}
