// Naive reference kernels: the oracle the fast kernels are tested against. Plain triple loops,
// accumulated in double, written to be obviously right. Leaves out: speed.
namespace ScratchNet.Tensors;

/// <summary>Obviously-correct matrix products. Row-major; W is always [out, in].</summary>
internal static class ReferenceKernels
{
    /// <summary>C[M,N] = A[M,K]·B[N,K]ᵀ + bias[N] (bias may be null). Forward: Z = X·Wᵀ + b, the notes' Z = W·X + b.</summary>
    public static void MatMulABt(Matrix A, Matrix B, float[]? bias, Matrix C)
    {
        int M = A.Rows, K = A.Cols, N = B.Rows;
        Check(B.Cols == K && C.Rows == M && C.Cols == N, "MatMulABt", A, B, C);
        for (int i = 0; i < M; i++)
        {
            for (int j = 0; j < N; j++)
            {
                double sum = bias is null ? 0 : bias[j];
                for (int k = 0; k < K; k++)
                {
                    sum += (double)A[i, k] * B[j, k];
                }
                C[i, j] = (float)sum;
            }
        }
    }

    /// <summary>C[M,N] = A[M,K]·B[K,N]. Input gradient: dX = dZ·W, the notes' W2ᵀ·dZ2.</summary>
    public static void MatMulAB(Matrix A, Matrix B, Matrix C)
    {
        int M = A.Rows, K = A.Cols, N = B.Cols;
        Check(B.Rows == K && C.Rows == M && C.Cols == N, "MatMulAB", A, B, C);
        for (int i = 0; i < M; i++)
        {
            for (int n = 0; n < N; n++)
            {
                double sum = 0;
                for (int k = 0; k < K; k++)
                {
                    sum += (double)A[i, k] * B[k, n];
                }
                C[i, n] = (float)sum;
            }
        }
    }

    /// <summary>C[M,N] = scale·A[K,M]ᵀ·B[K,N]. Weight gradient: dW = (1/m)·dZᵀ·X, the notes' (1/m)·dZ·Xᵀ.</summary>
    public static void MatMulAtB(Matrix A, Matrix B, float scale, Matrix C)
    {
        int K = A.Rows, M = A.Cols, N = B.Cols;
        Check(B.Rows == K && C.Rows == M && C.Cols == N, "MatMulAtB", A, B, C);
        for (int j = 0; j < M; j++)
        {
            for (int n = 0; n < N; n++)
            {
                double sum = 0;
                for (int k = 0; k < K; k++)
                {
                    sum += (double)A[k, j] * B[k, n];
                }
                C[j, n] = (float)(scale * sum);
            }
        }
    }

    /// <summary>sums[N] = scale·Σ_rows A[M,N]. Bias gradient: db = (1/m)·Σ over examples of dZ, one value per unit.</summary>
    public static void ColumnSums(Matrix A, float scale, float[] sums)
    {
        for (int n = 0; n < A.Cols; n++)
        {
            double sum = 0;
            for (int i = 0; i < A.Rows; i++)
            {
                sum += A[i, n];
            }
            sums[n] = (float)(scale * sum);
        }
    }

    internal static void Check(bool ok, string kernel, Matrix A, Matrix B, Matrix C)
    {
        if (!ok)
        {
            throw new ArgumentException($"{kernel}: shapes do not fit: A {A}, B {B}, C {C}.");
        }
    }
}
