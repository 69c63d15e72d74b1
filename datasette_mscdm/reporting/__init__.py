"""Reporting: PRISMA 2020 numbers and diagram, agreement, exports, publishing."""
