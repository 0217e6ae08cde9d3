package revocation

// Sizing the session index: reserving, growing, sweeping and shrinking,
// moving between slabs, closing.

// reserve sizes every shard for n entries in all, spread evenly (IDs are
// random), so loading them doesn't grow the table step by step.
func (x *sessionIndex) reserve(n int) {
	x.resize.Lock()
	defer x.resize.Unlock()
	if size := shardSize(n/numShards + 1); !x.table.closed && x.table.size < size {
		x.moveTo(size)
	}
}

// grow moves the table to one whose fullest shard is growFill percent
// full, unless another writer already did (its shards are no longer size
// slots).
func (x *sessionIndex) grow(size int) {
	x.resize.Lock()
	defer x.resize.Unlock()
	if x.table.closed || x.table.size != size {
		return
	}
	x.moveTo(shardSize(x.fullest() + 1))
}

// fullest is the count of the fullest shard.
func (x *sessionIndex) fullest() int {
	most := 0
	for i := range x.shards {
		sh := &x.shards[i]
		sh.mu.RLock()
		most = max(most, sh.n)
		sh.mu.RUnlock()
	}
	return most
}

// moveTo moves every shard to a new slab with size slots a shard and
// retires the old one. Each shard is built in the new slab before readers
// see it; the part of the old slab it leaves is released at once. The
// caller holds resize for writing; size holds every shard's entries.
func (x *sessionIndex) moveTo(size int) {
	t := x.table
	old, oldSize := t.slab, t.size
	next := newSlab(size*numShards, t.mapMin)
	f := newFilter(size * numShards)
	for i := range x.shards {
		sh := &x.shards[i]
		built := shard{slots: next.slots[i*size : (i+1)*size : (i+1)*size]}
		sh.mu.Lock()
		for j := range sh.slots {
			if s := sh.slots[j]; s.fp() != 0 {
				f.addPrivate(s.fp())
				built.insert(s, false)
			}
		}
		sh.publish(built.slots, built.n)
		sh.mu.Unlock()
		if old != nil {
			old.release(i*oldSize, (i+1)*oldSize)
		}
	}
	t.retire()
	t.slab, t.size = next, size
	x.filter.Store(f) // the old one holds the same entries until now
}

// refilter replaces the filter with one of the entries the table holds
// now, after a sweep dropped some. The caller holds resize for writing.
func (x *sessionIndex) refilter() {
	f := newFilter(x.table.size * numShards)
	for i := range x.shards {
		sh := &x.shards[i]
		sh.mu.RLock()
		for j := range sh.slots {
			if fp := sh.slots[j].fp(); fp != 0 {
				f.addPrivate(fp)
			}
		}
		sh.mu.RUnlock()
	}
	x.filter.Store(f)
}

// publish makes slots, holding n entries, the shard's. The caller holds
// the write lock.
func (sh *shard) publish(slots []slot, n int) {
	sh.seq.Add(1)
	sh.slots, sh.n = slots, n
	if slots == nil {
		sh.view.Store(nil)
	} else {
		sh.view.Store(&slots)
	}
	sh.seq.Add(1)
}

// close releases the table; the index is empty afterwards and drops puts.
// The memory stays mapped, reading zeros, until the index is unreachable.
func (x *sessionIndex) close() {
	x.resize.Lock()
	defer x.resize.Unlock()
	for i := range x.shards {
		sh := &x.shards[i]
		sh.mu.Lock()
		sh.publish(nil, 0)
		sh.mu.Unlock()
	}
	x.filter.Store(nil)
	x.table.retire()
	x.table.size, x.table.closed = 0, true
}

// sweep drops entries whose until is at or before now (Unix nanoseconds)
// and returns how many remain. A table left mostly empty moves to a
// smaller slab.
func (x *sessionIndex) sweep(now int64) int {
	cut := floorSeconds(now)
	x.resize.RLock()
	total, most, dropped, size := 0, 0, 0, x.table.size
	for i := range x.shards {
		sh := &x.shards[i]
		sh.mu.Lock()
		before := sh.n
		sh.dropExpired(cut)
		dropped += before - sh.n
		total += sh.n
		most = max(most, sh.n)
		sh.mu.Unlock()
	}
	x.resize.RUnlock()
	if dropped == 0 {
		return total
	}
	x.resize.Lock()
	switch {
	case x.table.closed:
	case most*100 < size*shrinkFill && x.table.size == size:
		x.moveTo(shardSize(x.fullest())) // a new filter too
	default:
		x.refilter()
	}
	x.resize.Unlock()
	return total
}

// len returns the number of entries.
func (x *sessionIndex) len() int {
	total := 0
	for i := range x.shards {
		sh := &x.shards[i]
		sh.mu.RLock()
		total += sh.n
		sh.mu.RUnlock()
	}
	return total
}

// tableBytes is the memory the table holds, and whether it is a mapping
// outside the Go heap.
func (x *sessionIndex) tableBytes() (int, bool) {
	x.resize.RLock()
	defer x.resize.RUnlock()
	if x.table.slab == nil {
		return 0, false
	}
	n := len(x.table.slab.slots) * slotBytes
	if f := x.filter.Load(); f != nil {
		n += f.bytes()
	}
	return n, x.table.slab.mapped()
}
