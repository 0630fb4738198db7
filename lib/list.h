/* list.h — the one intrusive doubly linked list (as jemalloc's ql.h and the
 * Linux kernel's list.h): a list is a head pointer and, when it keeps one, a
 * tail pointer; an element links through two pointer fields of its own type,
 * named by the list. HK_LIST_DEFINE(name, type, prev, next) makes the static
 * inline name_push_front, name_push_back, name_remove and name_pop_front over
 * type's fields prev and next, so one element type can be on several lists
 * (a SuperSlab's prev/next and fprev/fnext).
 *
 * Invariants: head->prev == NULL, tail->next == NULL; for every element e
 * on the list, e->next->prev == e and e->prev->next == e; an element off
 * every list has prev == next == NULL. tail may be NULL for a list without
 * one (push_back needs it); the functions take no lock. */
#ifndef HK_LIST_H
#define HK_LIST_H

#include <stddef.h>

#define HK_LIST_DEFINE(name, type, prev, next)                                                   \
    /* e (off the list) becomes the head. */                                                     \
    static inline void name##_push_front(type **head, type **tail, type *e)                      \
    {                                                                                            \
        e->prev = NULL;                                                                          \
        e->next = *head;                                                                         \
        if (*head)                                                                               \
            (*head)->prev = e;                                                                   \
        else if (tail)                                                                           \
            *tail = e;                                                                           \
        *head = e;                                                                               \
    }                                                                                            \
    /* e (off the list) becomes the tail; the list keeps one. */                                 \
    static inline void name##_push_back(type **head, type **tail, type *e)                       \
    {                                                                                            \
        e->next = NULL;                                                                          \
        e->prev = *tail;                                                                         \
        *(*tail ? &(*tail)->next : head) = e;                                                    \
        *tail = e;                                                                               \
    }                                                                                            \
    /* Unlinks e, which is on the list; its links are NULL after. */                             \
    static inline void name##_remove(type **head, type **tail, type *e)                          \
    {                                                                                            \
        type *p_ = e->prev, *n_ = e->next; /* loaded once: the stores below may alias */         \
        if (p_)                                                                                  \
            p_->next = n_;                                                                       \
        else                                                                                     \
            *head = n_;                                                                          \
        if (n_)                                                                                  \
            n_->prev = p_;                                                                       \
        else if (tail)                                                                           \
            *tail = p_;                                                                          \
        e->prev = e->next = NULL;                                                                \
    }                                                                                            \
    /* The head, unlinked; NULL when the list is empty. */                                       \
    static inline type *name##_pop_front(type **head, type **tail)                               \
    {                                                                                            \
        type *e = *head;                                                                         \
        if (e)                                                                                   \
            name##_remove(head, tail, e);                                                        \
        return e;                                                                                \
    }                                                                                            \
    typedef int name##_list_defined_ /* swallows the caller's semicolon */

#endif
