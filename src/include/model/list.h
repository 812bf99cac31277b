/* SPDX-License-Identifier: MIT */
/*
 * list.h - the kernel's circular doubly linked list.
 *
 * Not thread safe: every list is protected by the lock named at the field
 * that holds its head.  Stores of the links are WRITE_ONCE all the same:
 * a struct page's lru shares its words with compound_head and a large
 * folio's fields on its second page (mm_types.h), which lockless readers
 * peek at with READ_ONCE/atomic loads while the page may be going onto a
 * list; the relaxed stores make that a benign race (a stale or foreign
 * value the reader rechecks), not a data race.  Reads stay plain: every
 * reader of the links themselves holds the list's lock.
 */
#ifndef PNM_MODEL_LIST_H
#define PNM_MODEL_LIST_H

#include <model/compiler.h>

struct list_head {
	struct list_head *next, *prev;
};

#define LIST_HEAD_INIT(name)	{ &(name), &(name) }
#define LIST_HEAD(name)		struct list_head name = LIST_HEAD_INIT(name)

static inline void INIT_LIST_HEAD(struct list_head *l)
{
	WRITE_ONCE(l->next, l);
	WRITE_ONCE(l->prev, l);
}

static inline void __list_add(struct list_head *n, struct list_head *prev,
			      struct list_head *next)
{
	WRITE_ONCE(next->prev, n);
	WRITE_ONCE(n->next, next);
	WRITE_ONCE(n->prev, prev);
	WRITE_ONCE(prev->next, n);
}

static inline void list_add(struct list_head *n, struct list_head *head)
{ __list_add(n, head, head->next); }
static inline void list_add_tail(struct list_head *n, struct list_head *head)
{ __list_add(n, head->prev, head); }

static inline void list_del_init(struct list_head *e)
{
	WRITE_ONCE(e->next->prev, e->prev);
	WRITE_ONCE(e->prev->next, e->next);
	INIT_LIST_HEAD(e);
}
static inline void list_del(struct list_head *e) { list_del_init(e); }

static inline bool list_empty(const struct list_head *h) { return h->next == h; }

static inline void list_move(struct list_head *e, struct list_head *head)
{
	list_del_init(e);
	list_add(e, head);
}
static inline void list_move_tail(struct list_head *e, struct list_head *head)
{
	list_del_init(e);
	list_add_tail(e, head);
}

#define list_entry(ptr, type, member)	container_of(ptr, type, member)
#define list_first_entry(h, type, member) list_entry((h)->next, type, member)
#define list_for_each(pos, head) \
	for (pos = (head)->next; pos != (head); pos = pos->next)
#define list_for_each_entry(pos, head, member)				\
	for (pos = list_entry((head)->next, __typeof__(*pos), member);	\
	     &pos->member != (head);					\
	     pos = list_entry(pos->member.next, __typeof__(*pos), member))
#define list_next_entry(pos, member) \
	list_entry((pos)->member.next, __typeof__(*(pos)), member)
#define list_for_each_entry_reverse(pos, head, member)			\
	for (pos = list_entry((head)->prev, __typeof__(*pos), member);	\
	     &pos->member != (head);					\
	     pos = list_entry(pos->member.prev, __typeof__(*pos), member))
#define list_for_each_entry_safe(pos, n, head, member)			\
	for (pos = list_entry((head)->next, __typeof__(*pos), member),	\
	     n = list_entry(pos->member.next, __typeof__(*pos), member);	\
	     &pos->member != (head);					\
	     pos = n, n = list_entry(n->member.next, __typeof__(*n), member))

#endif /* PNM_MODEL_LIST_H */
