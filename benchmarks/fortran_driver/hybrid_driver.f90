! The pure-Fortran limit for fsolve's compiled solves (benchmarks/compiled.py):
! MINPACK's hybrd/hybrj (the vendored minpack_src/, unmodified) called from
! Fortran, with the equations computed in Fortran, no Python anywhere.
!
! Usage: hybrid_driver N JACOBIAN REPEATS
!   N         the number of Broyden tridiagonal equations (Moré-Garbow-Hillstrom
!             problem 30), (3 - 2 x(i)) x(i) - x(i-1) - 2 x(i+1) + 1 = 0 with
!             x(0) = x(N+1) = 0, solved from x = -1
!   JACOBIAN  0: hybrd (forward differences)   1: hybrj (analytic Jacobian)
!   REPEATS   how many times it is solved (for timing a small problem)
! fsolve's defaults: xtol 1.49012e-8, maxfev 200 (N + 1) or 100 (N + 1),
! a full Jacobian (ML = MU = N - 1), epsfcn the machine precision, factor 100.
! Prints: seconds per solve (wall clock), x (17 significant digits), nfev, njev
! and info, then CPU seconds per solve (which other work on a shared machine
! inflates least).
module equations
  implicit none
contains
  subroutine fcn(n, x, fvec, iflag)
    integer, intent(in) :: n
    integer, intent(inout) :: iflag
    double precision, intent(in) :: x(n)
    double precision, intent(out) :: fvec(n)
    integer :: i
    double precision :: left, right
    if (iflag == 0) return
    do i = 1, n
      left = 0.0d0
      right = 0.0d0
      if (i > 1) left = x(i - 1)
      if (i < n) right = x(i + 1)
      fvec(i) = (3.0d0 - 2.0d0*x(i))*x(i) - left - 2.0d0*right + 1.0d0
    end do
  end subroutine fcn

  subroutine fcnjac(n, x, fvec, fjac, ldfjac, iflag)
    integer, intent(in) :: n, ldfjac
    integer, intent(inout) :: iflag
    double precision, intent(in) :: x(n)
    double precision, intent(inout) :: fvec(n), fjac(ldfjac, n)
    integer :: i
    if (iflag == 1) then
      call fcn(n, x, fvec, iflag)
    else if (iflag == 2) then
      fjac(1:n, 1:n) = 0.0d0
      do i = 1, n
        fjac(i, i) = 3.0d0 - 4.0d0*x(i)
        if (i > 1) fjac(i, i - 1) = -1.0d0
        if (i < n) fjac(i, i + 1) = -2.0d0
      end do
    end if
  end subroutine fcnjac
end module equations

program hybrid_driver
  use equations
  implicit none
  external hybrd, hybrj
  character(len=64) :: arg
  integer :: n, jacobian, repeats, r, info, nfev, njev, maxfev, ml, mu, mode, nprint, lr
  integer(kind=8) :: t0, t1, rate
  double precision :: c0, c1
  double precision, allocatable :: x(:), fvec(:), fjac(:, :), rv(:), qtf(:), diag(:)
  double precision, allocatable :: wa1(:), wa2(:), wa3(:), wa4(:)
  double precision :: xtol, epsfcn, factor

  call get_command_argument(1, arg); read (arg, *) n
  call get_command_argument(2, arg); read (arg, *) jacobian
  call get_command_argument(3, arg); read (arg, *) repeats
  lr = n*(n + 1)/2
  allocate (x(n), fvec(n), fjac(n, n), rv(lr), qtf(n), diag(n), wa1(n), wa2(n), wa3(n), wa4(n))
  xtol = 1.49012d-8; epsfcn = epsilon(1.0d0); factor = 100.0d0
  ml = n - 1; mu = n - 1; mode = 1; nprint = 0
  njev = 0
  if (jacobian == 0) then
    maxfev = 200*(n + 1)
  else
    maxfev = 100*(n + 1)
  end if
  call system_clock(t0, rate)
  call cpu_time(c0)
  do r = 1, repeats
    x = -1.0d0
    if (jacobian == 0) then
      call hybrd(fcn, n, x, fvec, xtol, maxfev, ml, mu, epsfcn, diag, mode, factor, nprint, info, nfev, &
                 fjac, n, rv, lr, qtf, wa1, wa2, wa3, wa4)
    else
      call hybrj(fcnjac, n, x, fvec, fjac, n, xtol, maxfev, diag, mode, factor, nprint, info, nfev, njev, &
                 rv, lr, qtf, wa1, wa2, wa3, wa4)
    end if
  end do
  call cpu_time(c1)
  call system_clock(t1)
  print '(es24.16)', dble(t1 - t0)/dble(rate)/dble(repeats)
  print '(*(es25.16e3))', x
  print '(3i10)', nfev, njev, info
  print '(es24.16)', (c1 - c0)/dble(repeats)
end program hybrid_driver
