package mobilize

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/paulmach/orb"
)

// Item is a kind of charity resource a depot keeps. The list is fixed so
// that a typo ("medecine_kit") is refused instead of becoming a new item
// nobody stocks.
type Item string

// The items depots stock.
const (
	ItemFoodParcel         Item = "food_parcel"
	ItemMedicineKit        Item = "medicine_kit"
	ItemOxygenConcentrator Item = "oxygen_concentrator"
	ItemWheelchair         Item = "wheelchair"
	ItemVehicle            Item = "vehicle"
)

// Items lists every item, in a fixed order.
var Items = []Item{ItemFoodParcel, ItemMedicineKit, ItemOxygenConcentrator, ItemWheelchair, ItemVehicle}

// ParseItem refuses anything but the listed items.
func ParseItem(s string) (Item, error) {
	for _, it := range Items {
		if string(it) == s {
			return it, nil
		}
	}
	return "", fmt.Errorf("item %q is not one of food_parcel, medicine_kit, oxygen_concentrator, wheelchair, vehicle: %w", s, ErrInvalid)
}

// Limits on items.
const (
	MaxItemsPerLine = 100       // one need asks for at most this many of one item
	MaxStockCount   = 1_000_000 // one depot holds at most this many of one item
	MaxDepotNameLen = 200
)

// ItemCount is a number of one item.
type ItemCount struct {
	Item  Item `json:"item"`
	Count int  `json:"count"`
}

// ValidateItems checks what a need asks for: known items, each once, each
// 1..MaxItemsPerLine.
func ValidateItems(items []ItemCount) []string {
	var problems []string
	seen := map[Item]bool{}
	if len(items) > len(Items) {
		problems = append(problems, fmt.Sprintf("at most %d item lines", len(Items)))
	}
	for i, it := range items {
		if _, err := ParseItem(string(it.Item)); err != nil {
			problems = append(problems, fmt.Sprintf("items[%d]: %v", i, err))
		}
		if it.Count < 1 || it.Count > MaxItemsPerLine {
			problems = append(problems, fmt.Sprintf("items[%d]: count must be 1..%d", i, MaxItemsPerLine))
		}
		if seen[it.Item] {
			problems = append(problems, fmt.Sprintf("items[%d]: %s listed twice", i, it.Item))
		}
		seen[it.Item] = true
	}
	return problems
}

// SupplyState is where a need's items are.
type SupplyState string

// Supply states. A reservation is held until the need completes (the items
// were used: consumed) or is cancelled or unstaffed (stock returned:
// released). A need still short is tried again on every matcher tick.
const (
	SupplyReserved SupplyState = "reserved"
	SupplyShort    SupplyState = "short"
	SupplyReleased SupplyState = "released"
	SupplyConsumed SupplyState = "consumed"
)

// ReasonNoDepotStock says no depot had every item of a need in stock.
const ReasonNoDepotStock Reason = "no_depot_stock"

// Supplies is what became of a need's items.
type Supplies struct {
	State      SupplyState
	DepotID    string
	DepotPoint orb.Point // where the team collects the items
	Reason     Reason    // why, when short
}

// Depot is a store of charity resources owned by an organisation.
type Depot struct {
	ID        string
	Name      string
	OrgID     string
	Point     orb.Point
	Stock     map[Item]int // on the shelf, free to reserve
	Reserved  map[Item]int // held for needs not yet completed
	CreatedAt time.Time
	UpdatedAt time.Time
}

var depotIDPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// ValidDepotID refuses ids that would break a Redis key or a URL path.
func ValidDepotID(id string) error {
	if !depotIDPattern.MatchString(id) {
		return fmt.Errorf("depot id %q must be 1..64 of A-Z a-z 0-9 _ . -: %w", id, ErrInvalid)
	}
	return nil
}

// Validate checks a depot's own fields (not its stock).
func (d Depot) Validate() error {
	var problems []string
	if err := ValidDepotID(d.ID); err != nil {
		problems = append(problems, err.Error())
	}
	if strings.TrimSpace(d.Name) == "" || len(d.Name) > MaxDepotNameLen {
		problems = append(problems, fmt.Sprintf("name must be 1..%d characters", MaxDepotNameLen))
	}
	if strings.TrimSpace(d.OrgID) == "" || len(d.OrgID) > 64 {
		problems = append(problems, "org_id must be 1..64 characters")
	}
	if len(problems) > 0 {
		return fmt.Errorf("depot: %s: %w", strings.Join(problems, "; "), ErrInvalid)
	}
	return nil
}

// Pickup is where a team collects its need's items on the way.
type Pickup struct {
	DepotID string
	Point   orb.Point
	Items   []ItemCount
}

// Pickup says where the team collects the need's items; ok is false
// unless they are reserved at a depot (a need without items has none).
func (n NeedState) Pickup() (p Pickup, ok bool) {
	if n.Supplies == nil || n.Supplies.State != SupplyReserved {
		return Pickup{}, false
	}
	return Pickup{DepotID: n.Supplies.DepotID, Point: n.Supplies.DepotPoint, Items: n.Items}, true
}
