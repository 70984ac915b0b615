! The pure-Fortran limit for benchmarks/compiled.py: MINPACK's lmdif/lmder
! (the vendored minpack_src/, unmodified) called from Fortran, with the
! residuals computed in Fortran, no Python anywhere.
!
! Usage: driver PROBLEM JACOBIAN REPEATS DATAFILE
!   PROBLEM   1: exp-decay a*exp(-b*x)+c   2: Gaussian a*exp(-((x-mu)/s)**2/2)+c
!   JACOBIAN  0: lmdif (forward differences)   1: lmder (analytic Jacobian)
!   REPEATS   how many times every curve is fitted (for timing small problems)
!   DATAFILE  stream file: int32 m, n, k; float64 x(m), y(m,k), p0(n)
!             (y column-major: curve after curve, numpy's C-order (k, m))
! Prints: seconds per fit, then for the first and last curve the
! parameters (17 significant digits), nfev and info, then the total nfev,
! then the process's CPU seconds per fit (what a shared machine's other
! work inflates least).
module problem
  implicit none
  integer :: kind_of_model = 1
  double precision, allocatable :: xs(:), ydata(:, :)
  integer :: curve = 1
contains
  subroutine fcn(m, n, p, fvec, iflag)
    integer, intent(in) :: m, n
    integer, intent(inout) :: iflag
    double precision, intent(in) :: p(n)
    double precision, intent(out) :: fvec(m)
    integer :: i
    double precision :: t
    if (iflag == 0) return
    if (kind_of_model == 1) then
      do i = 1, m
        fvec(i) = p(1)*exp(-p(2)*xs(i)) + p(3) - ydata(i, curve)
      end do
    else
      do i = 1, m
        t = (xs(i) - p(2))/p(3)
        fvec(i) = p(1)*exp(-t*t/2.0d0) + p(4) - ydata(i, curve)
      end do
    end if
  end subroutine fcn

  subroutine fcnder(m, n, p, fvec, fjac, ldfjac, iflag)
    integer, intent(in) :: m, n, ldfjac
    integer, intent(inout) :: iflag
    double precision, intent(in) :: p(n)
    double precision, intent(inout) :: fvec(m), fjac(ldfjac, n)
    integer :: i
    double precision :: t, e
    if (iflag == 1) then
      call fcn(m, n, p, fvec, iflag)
    else if (iflag == 2) then
      if (kind_of_model == 1) then
        do i = 1, m
          e = exp(-p(2)*xs(i))
          fjac(i, 1) = e
          fjac(i, 2) = -p(1)*xs(i)*e
          fjac(i, 3) = 1.0d0
        end do
      else
        do i = 1, m
          t = (xs(i) - p(2))/p(3)
          e = exp(-t*t/2.0d0)
          fjac(i, 1) = e
          fjac(i, 2) = p(1)*e*t/p(3)
          fjac(i, 3) = p(1)*e*t*t/p(3)
          fjac(i, 4) = 1.0d0
        end do
      end if
    end if
  end subroutine fcnder
end module problem

program driver
  use problem
  implicit none
  external lmdif, lmder
  character(len=512) :: arg, path
  integer :: jacobian, repeats, m, n, k, r, info, nfev, njev, mode, nprint, maxfev, total, u
  integer(kind=8) :: t0, t1, rate
  double precision :: c0, c1
  double precision, allocatable :: p0(:), p(:), fvec(:), fjac(:, :), diag(:), qtf(:), wa1(:), wa2(:), wa3(:), wa4(:)
  double precision, allocatable :: first(:), last(:)
  integer, allocatable :: ipvt(:)
  integer :: nfev_first, info_first, nfev_last, info_last
  double precision :: ftol, xtol, gtol, epsfcn, factor

  call get_command_argument(1, arg); read (arg, *) kind_of_model
  call get_command_argument(2, arg); read (arg, *) jacobian
  call get_command_argument(3, arg); read (arg, *) repeats
  call get_command_argument(4, path)
  open (newunit=u, file=trim(path), access='stream', form='unformatted', status='old')
  read (u) m, n, k
  allocate (xs(m), ydata(m, k), p0(n))
  read (u) xs, ydata, p0
  close (u)
  allocate (p(n), fvec(m), fjac(m, n), diag(n), qtf(n), wa1(n), wa2(n), wa3(n), wa4(m), ipvt(n), first(n), last(n))
  ! leastsq's defaults
  ftol = 1.49012d-8; xtol = 1.49012d-8; gtol = 0.0d0; epsfcn = epsilon(1.0d0); factor = 100.0d0
  mode = 1; nprint = 0
  if (jacobian == 0) then
    maxfev = 200*(n + 1)
  else
    maxfev = 100*(n + 1)
  end if
  total = 0
  call system_clock(t0, rate)
  call cpu_time(c0)
  do r = 1, repeats
    do curve = 1, k
      p = p0
      diag = 1.0d0
      if (jacobian == 0) then
        call lmdif(fcn, m, n, p, fvec, ftol, xtol, gtol, maxfev, epsfcn, diag, mode, factor, nprint, &
                   info, nfev, fjac, m, ipvt, qtf, wa1, wa2, wa3, wa4)
      else
        call lmder(fcnder, m, n, p, fvec, fjac, m, ftol, xtol, gtol, maxfev, diag, mode, factor, nprint, &
                   info, nfev, njev, ipvt, qtf, wa1, wa2, wa3, wa4)
      end if
      total = total + nfev
      if (curve == 1) then
        first = p; nfev_first = nfev; info_first = info
      end if
      if (curve == k) then
        last = p; nfev_last = nfev; info_last = info
      end if
    end do
  end do
  call cpu_time(c1)
  call system_clock(t1)
  print '(es24.16)', dble(t1 - t0)/dble(rate)/dble(repeats)/dble(k)
  print '(*(es25.16e3))', first
  print '(2i10)', nfev_first, info_first
  print '(*(es25.16e3))', last
  print '(2i10)', nfev_last, info_last
  print '(i12)', total/repeats
  print '(es24.16)', (c1 - c0)/dble(repeats)/dble(k)
end program driver
